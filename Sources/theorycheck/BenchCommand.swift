import ArgumentParser
import Foundation
import Experiments
import TinyLM

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time the simulators' steps and compare their GFLOP/s with the machine's own dgemm.",
        discussion: """
            For random instances at three sizes (V, d, n, L) = small (512, 64, 64, 4), medium (8192, 256, \
            128, 8) and large (32768, 512, 256, 8), times one full-batch step of the IM-RM trained in \
            parameter space (im_rm), of its function-space closed form (im_rm_function_space), and of the \
            EX-RM both ways (ex_rm, ex_rm_function_space). GFLOP/s counts only the matrix products of a step \
            (see BenchmarkCase); the reference is a square dgemm of comparable size, measured just before \
            and just after each case (the better of the two, since the machine's load drifts). \
            A step that takes 10 s or more (the function-space IM-RM at the large size, about a teraflop) \
            is timed once. The default run takes a few minutes and needs about 3 GB of memory at the large size.
            """)

    @Option(help: "Comma-separated subset of small, medium, large.")
    var sizes = "small,medium,large"

    @Option(help: "Timed samples per case (each a batch of steps lasting at least 50 ms), after one warm-up step.")
    var repeats = 3

    @Option(help: "Seed of the random instances.")
    var seed: UInt64 = 0

    @Flag(name: .long, help: "Print machine-readable JSON on standard output instead of a table.")
    var json = false

    @Flag(inversion: .prefixedNo, help: """
        Also time an Adam training step of the small language model at two sizes (d = 64, 2 layers, context 32, \
        batch 32; and twice that), in tokens per second, on one BLAS thread (faster at these sizes).
        """)
    var tinyLM = true

    @Flag(name: .long, help: "Instead, time the phases of the IM-RM parameter-space step (gemms vs. elementwise work).")
    var phases = false

    func validate() throws {
        _ = try selectedSizes()
        try OptionBounds.require(repeats, in: 1...100, "repeats")
    }

    func selectedSizes() throws -> [BenchmarkSize] {
        let names = sizes.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !names.isEmpty else { throw ValidationError("--sizes needs at least one of small, medium, large") }
        return try names.map { name in
            guard let size = BenchmarkSize.all.first(where: { $0.name == name }) else {
                throw ValidationError("--sizes: unknown size \"\(name)\"; use a comma-separated subset of small, medium, large")
            }
            return size
        }
    }

    func run() throws {
        if phases {
            for size in try selectedSizes() {
                let timings = try BenchmarkPhases.measure(size: size, seed: seed, repeats: repeats, learningRate: 0.1)
                print(BenchmarkPhases.render(timings, size: size))
            }
            return
        }
        let runner = BenchmarkRunner(sizes: try selectedSizes(), cases: BenchmarkCase.allCases,
                                     timing: BenchmarkTiming(repeats: repeats), seed: seed)
        let progress = BenchmarkProgress()
        var report = try runner.run { progress.show($0) }
        if tinyLM {
            progress.show("tiny LM training steps")
            // Last, since the thread setting is process-wide and the dgemm references above use both cores.
            BLASThreads.useSingleThread()
            report.tinyLM = try TinyLMBenchmark.run(seed: seed)
        }
        progress.finish()
        if json {
            try printJSON(report)
        } else {
            print(BenchmarkTable(report: report).render())
        }
    }
}

/// The bench's progress: one line on stderr, rewritten in place on a terminal, one line per phase otherwise.
struct BenchmarkProgress {
    private let terminal = isatty(STDERR_FILENO) != 0
    private let start = DispatchTime.now().uptimeNanoseconds

    func show(_ phase: String) {
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
        let line = "bench [\(String(format: "%5.1f", elapsed)) s] \(phase)"
        if terminal {
            let padded = line.count < 72 ? line + String(repeating: " ", count: 72 - line.count) : line
            FileHandle.standardError.write(Data("\r\(padded)".utf8))
        } else {
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }

    func finish() {
        if terminal { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}

/// The terminal table of `theorycheck bench`.
struct BenchmarkTable {
    let report: BenchmarkReport

    func render() -> String {
        var lines: [String] = []
        let headers = ["size", "V", "d", "n", "L", "simulator", "s/step", "GFLOP/s", "dgemm N", "dgemm GFLOP/s",
                       "ratio"]
        let widths = [8, 7, 5, 5, 3, 22, 11, 9, 9, 15, 7]
        lines.append(row(headers, widths))
        for result in report.cases {
            lines.append(row([
                result.size, "\(result.vocabularySize)", "\(result.hiddenWidth)", "\(result.trainPairs)",
                "\(result.responseLength)", result.rm, String(format: "%.3e", result.secondsPerStep),
                String(format: "%.2f", result.gflops), "\(result.dgemmSize)", String(format: "%.2f", result.dgemmGflops),
                String(format: "%.3f", result.ratioToDGEMM),
            ], widths))
        }
        lines.append("")
        lines.append("GFLOP/s counts the matrix products of a step only; ratio = GFLOP/s over a square dgemm of size N")
        lines.append("measured around each case (best of \(report.repeats) samples each; the machine's best: \(String(format: "%.2f", report.dgemmGflops)) GFLOP/s).")
        for model in report.tinyLM ?? [] {
            lines.append(String(
                format: "tiny LM training step, d = %d, %d layers, context %d, batch %d: %.1f ms, %.0f tokens/s",
                model.width, model.layers, model.contextLength, model.batchSize, model.secondsPerStep * 1000,
                model.tokensPerSecond))
        }
        return lines.joined(separator: "\n")
    }

    private func row(_ cells: [String], _ widths: [Int]) -> String {
        zip(cells, widths).map { cell, width in
            cell.count >= width ? cell + " " : cell + String(repeating: " ", count: width - cell.count)
        }.joined()
    }
}
