import ArgumentParser
import Foundation
import InstanceIO
import LinearAlgebra
import RewardDynamics
import ShiftAnalysis
import Tasks
import TheorycheckCore

/// `theorycheck bench-analysis`: `analyze` and the T-step prediction timed at a real model's shape, on a
/// synthetic instance (`ExportShapedInstance`), against the machine's dgemm rate measured in the same run.
struct AnalysisBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-analysis",
        abstract: "Time analyze and the T-step prediction at a real model's shape (synthetic states) against dgemm.",
        discussion: """
            Builds a random instance shaped like an export of the model (--shape pythia-160m: V = 50304, \
            d = 768; pythia-1b: d = 2048; or --vocabulary/--width), with --train-pairs training pairs and \
            --eval-pairs evaluation pairs (two sets, test and paraphrase) of about --response-length tokens, \
            then times (1) the one-step analysis `analyze` runs (u*, novelty, the streamed Eq. 5 split) and \
            (2) the T-step prediction (`analyze --steps T`'s training of both read-outs). Each is compared with \
            the time its matrix products take at the dgemm rate of a square 2048 dgemm measured before and \
            after (the better of the two): ratio = seconds / (multiply-adds x 2 / dgemm rate); with float32 \
            passes also at the rate of a square 2048 sgemm, the floor of those passes. Peak resident \
            memory is the process's VmHWM (Linux). --write FILE instead writes the instance as float32 \
            safetensors, for timing `theorycheck analyze --instance FILE` end to end under /usr/bin/time -v.
            """)

    enum Shape: String, ExpressibleByArgument, CaseIterable {
        case pythia160m = "pythia-160m"
        case pythia1b = "pythia-1b"

        var vocabularySize: Int { 50304 }
        var hiddenWidth: Int { self == .pythia160m ? 768 : 2048 }
    }

    @Option(help: "Model shape: pythia-160m (V = 50304, d = 768) or pythia-1b (V = 50304, d = 2048).")
    var shape: Shape = .pythia160m

    @Option(help: "V, overriding the shape's.")
    var vocabulary: Int?

    @Option(help: "d, overriding the shape's.")
    var width: Int?

    @Option(name: .customLong("train-pairs"), help: "Training pairs.")
    var trainPairs = 128

    @Option(name: .customLong("eval-pairs"), help: "Evaluation pairs, split evenly into the sets test and paraphrase.")
    var evalPairs = 128

    @Option(name: .customLong("response-length"), help: "Mean response length in tokens (+-4).")
    var responseLength = 40

    @Option(help: "T of the timed prediction (0: time the one-step analysis only).")
    var steps = 100

    @Option(help: "Storage of the IM-RM passes: auto, float32 or float64.")
    var precision: ReadoutPrecision = .automatic

    @Option(help: "Seed of the synthetic instance.")
    var seed: UInt64 = 0

    @Option(help: "Write the synthetic instance to this safetensors file (float32) and stop.")
    var write: String?

    @Flag(name: .long, help: "Print machine-readable JSON on standard output.")
    var json = false

    @Flag(name: .long, help: "No progress lines on standard error.")
    var quiet = false

    func validate() throws {
        try OptionBounds.require(trainPairs, in: 1...100_000, "train-pairs")
        try OptionBounds.require(evalPairs, in: 2...100_000, "eval-pairs")
        try OptionBounds.require(responseLength, in: 5...4096, "response-length")
        try OptionBounds.require(steps, in: 0...100_000, "steps")
        if let vocabulary { try OptionBounds.require(vocabulary, in: 4002...1_000_000, "vocabulary") }
        if let width { try OptionBounds.require(width, in: 1...16384, "width") }
    }

    struct Timing: Encodable {
        let seconds: Double
        /// Multiply-adds x 2 of the matrix products.
        let flops: Double
        /// seconds / (flops / dgemm rate).
        let ratioToDGEMM: Double
        /// seconds / (flops / sgemm rate), when the passes run in float32 (their floor); else nil.
        let ratioToSGEMM: Double?
    }

    struct Report: Encodable {
        let vocabularySize: Int
        let hiddenWidth: Int
        let trainPairs: Int
        let evaluationPairs: Int
        let trainContexts: Int
        let evaluationContexts: Int
        let precision: ReadoutPrecision
        let dgemmGflops: Double
        /// The square-sgemm rate, measured when the passes run in float32.
        let sgemmGflops: Double?
        let buildSeconds: Double
        let analyze: Timing
        let steps: Int
        let prediction: Timing?
        let stepSeconds: Double?
        let peakResidentBytes: Int?
        let modelBytes: Int
    }

    func run() throws {
        let vocabularySize = vocabulary ?? shape.vocabularySize
        let hiddenWidth = width ?? shape.hiddenWidth
        let progress = StageProgress(command: "bench-analysis", quiet: quiet)
        let note = ProgressLine("bench-analysis", quiet: quiet)
        note.note("building a V = \(vocabularySize), d = \(hiddenWidth) instance")
        let buildStart = DispatchTime.now().uptimeNanoseconds
        var generator = SeededGenerator(seed: seed)
        let spec = ExportShapedInstance(
            vocabularySize: vocabularySize, hiddenWidth: hiddenWidth, trainPairs: trainPairs,
            evaluationSets: [("test", evalPairs / 2), ("paraphrase", evalPairs - evalPairs / 2)],
            responseLength: responseLength)
        let instance = try spec.make(using: &generator)
        let buildSeconds = Self.seconds(since: buildStart)
        if let write {
            let data = try InstanceSafetensors.encode(instance, floatDType: .f32)
            do {
                try data.write(to: URL(fileURLWithPath: write), options: .atomic)
            } catch {
                throw CLIError("cannot write \(write): \(error.localizedDescription)")
            }
            note.note("wrote \(write) (\(data.count >> 20) MiB)")
            return
        }
        let timing = BenchmarkTiming(repeats: 2)
        note.note("dgemm 2048 x 2048")
        let dgemmBefore = GEMMProbe.gflops(size: 2048, timing: timing, seed: seed).gflops
        let measuresSGEMM = precision != .float64
        if measuresSGEMM { note.note("sgemm 2048 x 2048") }
        let sgemmBefore = measuresSGEMM
            ? GEMMProbe.gflops(size: 2048, precision: .float32, timing: timing, seed: seed).gflops : nil

        let layout = SequenceLayout(instance)
        let trainContexts = layout.trainContextRows.count
        let evaluationContexts = layout.contextCount - trainContexts
        let unit = 2 * Double(vocabularySize) * Double(hiddenWidth)

        var options = AnalysisOptions()
        options.precision = precision
        note.note("analyze (one-step analysis)")
        let analyzeStart = DispatchTime.now().uptimeNanoseconds
        let result = try RepresentationAnalysis.run(on: instance, options: options) { stage, done, total in
            progress.update("analyze: " + stage.rawValue, done, total)
        }
        let analyzeSeconds = Self.seconds(since: analyzeStart)
        // Training contexts: logits and update; evaluation contexts: logits and E Delta.
        let analyzeFlops = unit * Double(2 * trainContexts + 2 * evaluationContexts)

        var prediction: (seconds: Double, flops: Double)?
        var modelBytes = 0
        if steps > 0 {
            note.note("T-step prediction, T = \(steps)")
            let start = DispatchTime.now().uptimeNanoseconds
            var model = StreamedImplicitRewardModel(instance: instance, layout: layout, reference: .frozenInitial,
                                                    precision: precision)
            modelBytes = model.bytes
            let evaluated = Array(Set(layout.evaluationSets.flatMap { $0.pairs.flatMap { [$0.chosen, $0.rejected] } })).sorted()
            let gradient = try model.gradientPass()
            _ = try model.evaluate(evaluated)  // the step-0 reference log-probabilities (analyze gets them from Eq. 5)
            _ = try TrainedPrediction.run(instance: instance, layout: layout, implicitModel: &model,
                                          initialGradient: gradient, steps: steps, explicitLearningRate: nil,
                                          implicitLearningRate: nil, evaluated: evaluated) { done, total in
                progress.update("training steps", done, total)
            }
            prediction = (Self.seconds(since: start), unit * Double(4 * trainContexts * steps))
        }
        note.note("dgemm 2048 x 2048")
        let dgemm = max(dgemmBefore, GEMMProbe.gflops(size: 2048, timing: timing, seed: seed).gflops)
        var sgemm: Double?
        if result.precision == .float32, let sgemmBefore {
            note.note("sgemm 2048 x 2048")
            sgemm = max(sgemmBefore, GEMMProbe.gflops(size: 2048, precision: .float32, timing: timing, seed: seed).gflops)
        }
        func timed(_ seconds: Double, _ flops: Double) -> Timing {
            Timing(seconds: seconds, flops: flops, ratioToDGEMM: seconds / (flops / (dgemm * 1e9)),
                   ratioToSGEMM: sgemm.map { seconds / (flops / ($0 * 1e9)) })
        }
        let report = Report(
            vocabularySize: vocabularySize, hiddenWidth: hiddenWidth, trainPairs: trainPairs, evaluationPairs: evalPairs,
            trainContexts: trainContexts, evaluationContexts: evaluationContexts, precision: result.precision,
            dgemmGflops: dgemm, sgemmGflops: sgemm, buildSeconds: buildSeconds, analyze: timed(analyzeSeconds, analyzeFlops), steps: steps,
            prediction: prediction.map { timed($0.seconds, $0.flops) },
            stepSeconds: prediction.map { $0.seconds / Double(steps) },
            peakResidentBytes: ResidentMemory.peakBytes(), modelBytes: modelBytes)
        if json {
            try printJSON(report)
        } else {
            print(render(report))
        }
    }

    func render(_ report: Report) -> String {
        func line(_ label: String, _ timing: Timing) -> String {
            String(format: "%@: %.1f s, %.3g GFLOP in products, %.2f x the dgemm time", label, timing.seconds,
                   timing.flops * 1e-9, timing.ratioToDGEMM)
                + (timing.ratioToSGEMM.map { String(format: ", %.2f x the sgemm time", $0) } ?? "")
        }
        var lines = [
            "V = \(report.vocabularySize), d = \(report.hiddenWidth): \(report.trainPairs) training pairs "
                + "(\(report.trainContexts) contexts), \(report.evaluationPairs) evaluation pairs (\(report.evaluationContexts) "
                + "contexts), IM-RM passes in \(report.precision.rawValue).",
            String(format: "dgemm 2048: %.1f GFLOP/s", report.dgemmGflops)
                + (report.sgemmGflops.map { String(format: ", sgemm 2048: %.1f GFLOP/s", $0) } ?? "")
                + String(format: " (best of before and after). Synthetic instance built in %.1f s.", report.buildSeconds),
            line("analyze (one-step analysis)", report.analyze),
        ]
        if let prediction = report.prediction, let perStep = report.stepSeconds {
            lines.append(line("T-step prediction, T = \(report.steps)", prediction)
                         + String(format: " (%.2f s per step)", perStep))
        }
        if let peak = report.peakResidentBytes {
            lines.append(String(format: "peak resident memory %.2f GB (VmHWM)", Double(peak) / 1e9))
        }
        return lines.joined(separator: "\n")
    }

    static func seconds(since start: UInt64) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
    }
}
