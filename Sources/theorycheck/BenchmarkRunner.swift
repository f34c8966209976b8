import Experiments
import Foundation
import LinearAlgebra
import RewardDynamics

/// One timed simulator at one size: the row of `theorycheck bench` and an entry of its JSON `cases`.
struct BenchmarkCaseResult: Encodable, Sendable {
    let rm: String
    let size: String
    let vocabularySize: Int
    let hiddenWidth: Int
    let trainPairs: Int
    let responseLength: Int
    let contexts: Int
    let trainContexts: Int
    let flopsPerStep: Double
    let secondsPerStep: Double
    let secondsPerStepMedian: Double
    let stepsTimed: Int
    let gflops: Double
    let dgemmSize: Int
    let dgemmGflops: Double
    let ratioToDGEMM: Double
    /// The simulators compute in float64 (dgemm) on OpenBLAS's own threads.
    let precision = Precision.float64
    let blasThreads: Int

    enum CodingKeys: String, CodingKey {
        case rm, size, precision
        case blasThreads = "blas_threads"
        case vocabularySize
        case hiddenWidth
        case trainPairs
        case responseLength
        case contexts
        case trainContexts = "train_contexts"
        case flopsPerStep = "flops_per_step"
        case secondsPerStep = "seconds_per_step"
        case secondsPerStepMedian = "seconds_per_step_median"
        case stepsTimed = "steps_timed"
        case gflops
        case dgemmSize = "dgemm_size"
        case dgemmGflops = "dgemm_gflops"
        case ratioToDGEMM = "ratio_to_dgemm"
    }
}

/// Everything `theorycheck bench --json` prints.
struct BenchmarkReport: Encodable, Sendable {
    /// The best square-dgemm rate measured in this run (over every probe, any thread count).
    var dgemmGflops: Double
    /// The best square-sgemm rate measured in this run (the float32 tiny-LM references), when measured.
    var sgemmGflops: Double? = nil
    /// The 1-minute load average when the run started (the machine may be shared), from getloadavg.
    var loadAverage: Double? = BenchmarkReport.currentLoadAverage()
    let seed: UInt64
    let repeats: Int
    var cases: [BenchmarkCaseResult]
    /// Training steps of the small language model at both precisions and thread counts, when measured.
    var tinyLM: [TinyLMBenchmarkRow]? = nil
    var dynamicsHeadline: DynamicsHeadline? = nil

    enum CodingKeys: String, CodingKey {
        case dynamicsHeadline = "dynamics_headline"
        case dgemmGflops = "dgemm_gflops"
        case sgemmGflops = "sgemm_gflops"
        case loadAverage = "load_average"
        case seed, repeats, cases
        case tinyLM = "tiny_lm"
    }

    static func currentLoadAverage() -> Double? {
        var loads = [Double](repeating: 0, count: 1)
        return getloadavg(&loads, 1) == 1 ? loads[0] : nil
    }

    /// Adds tiny-LM rows and folds their gemm references into the machine's best rates.
    mutating func add(_ rows: [TinyLMBenchmarkRow]) {
        tinyLM = (tinyLM ?? []) + rows
        for row in rows {
            switch row.step.precision {
            case .float64: dgemmGflops = max(dgemmGflops, row.gemmGflops)
            case .float32: sgemmGflops = max(sgemmGflops ?? 0, row.gemmGflops)
            }
        }
    }
}

/// Runs every case at every requested size, one simulator in memory at a time.
struct BenchmarkRunner {
    let sizes: [BenchmarkSize]
    let cases: [BenchmarkCase]
    let timing: BenchmarkTiming
    let seed: UInt64
    /// A small step, so that many steps keep the softmax away from saturation; the timing does not
    /// depend on it.
    let learningRate = 0.1

    func run(progress: (String) -> Void) throws -> BenchmarkReport {
        var bestDGEMM = 0.0
        var results: [BenchmarkCaseResult] = []
        for size in sizes {
            progress("\(size.name): building the instance")
            let instance = try size.instance(seed: seed)
            let layout = SequenceLayout(instance)
            let shape = BenchmarkShape(instance: instance, layout: layout)
            for benchmarkCase in cases {
                let dgemmSize = GEMMProbe.size(comparableTo: benchmarkCase.largestProduct(shape))
                // The machine is shared and its load drifts, so the reference is measured just before and
                // just after the case, and the better of the two is kept (a conservative ratio).
                progress("\(size.name): dgemm \(dgemmSize) x \(dgemmSize)")
                let before = GEMMProbe.gflops(size: dgemmSize, timing: timing, seed: seed).gflops
                progress("\(size.name): \(benchmarkCase.rawValue)")
                let measurement: BenchmarkTiming.Measurement
                do {
                    // The simulator (up to two logits-sized matrices at the large size) is freed at the
                    // end of this scope, before the next one is built.
                    let step = benchmarkCase.makeStepper(instance: instance, layout: layout, learningRate: learningRate)
                    measurement = try timing.measure(step)
                }
                progress("\(size.name): dgemm \(dgemmSize) x \(dgemmSize)")
                let after = GEMMProbe.gflops(size: dgemmSize, timing: timing, seed: seed).gflops
                let dgemm = max(before, after)
                bestDGEMM = max(bestDGEMM, dgemm)
                let flops = benchmarkCase.flopsPerStep(shape)
                let gflops = flops / measurement.best * 1e-9
                results.append(BenchmarkCaseResult(
                    rm: benchmarkCase.rawValue, size: size.name, vocabularySize: size.vocabularySize,
                    hiddenWidth: size.hiddenWidth, trainPairs: size.trainPairs, responseLength: size.responseLength,
                    contexts: shape.contexts, trainContexts: shape.trainContexts, flopsPerStep: flops,
                    secondsPerStep: measurement.best, secondsPerStepMedian: measurement.median,
                    stepsTimed: measurement.calls, gflops: gflops, dgemmSize: dgemmSize, dgemmGflops: dgemm,
                    ratioToDGEMM: gflops / dgemm, blasThreads: BLASThreads.count))
            }
        }
        return BenchmarkReport(dgemmGflops: bestDGEMM, seed: seed, repeats: timing.repeats,
                               cases: results)
    }
}
