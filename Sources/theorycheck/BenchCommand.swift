import ArgumentParser
import Foundation
import Experiments
import TinyLM

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time the simulators' and the tiny language model's steps against the machine's own gemm rate.",
        discussion: """
            For random instances at three sizes (V, d, n, L) = small (512, 64, 64, 4), medium (8192, 256, \
            128, 8) and large (32768, 512, 256, 8), times one full-batch step of the IM-RM trained in \
            parameter space (im_rm), of its function-space closed form (im_rm_function_space), and of the \
            EX-RM both ways (ex_rm, ex_rm_function_space). GFLOP/s counts only the matrix products of a step \
            (see BenchmarkCase); the reference is a square dgemm of comparable size, measured just before \
            and just after each case (the better of the two, since the machine's load drifts). \
            A step that takes 10 s or more (the function-space IM-RM at the large size, about a teraflop) \
            is timed once. Then the tiny language model's Adam step (TinyLM.trainNextToken) at two sizes, in \
            float64 and float32, on 1 and 2 threads, against a square dgemm or sgemm on as many BLAS threads. \
            The default run takes a few minutes and needs about 3 GB of memory at the large size.
            """)

    @Option(help: "Comma-separated subset of small, medium, large.")
    var sizes = "small,medium,large"

    @Option(help: "Timed samples per case (each a batch of steps lasting at least 50 ms), after one warm-up step.")
    var repeats = 3

    @Option(help: "Seed of the random instances.")
    var seed: UInt64 = 0

    @Flag(name: .long, help: "Print machine-readable JSON on standard output instead of a table.")
    var json = false

    @Flag(inversion: .prefixedNo, help: "Time the simulator steps at --sizes (the first table rows).")
    var simulators = true

    @Flag(inversion: .prefixedNo, help: """
        Also time an Adam training step of the small language model at two sizes (d = 64, 2 layers, context 32, \
        batch 32; and twice that), in float64 and float32, on 1 and 2 threads of its own (BLAS on one thread).
        """)
    var tinyLM = true

    @Flag(inversion: .prefixedNo, help: """
        Also time the headline run, `dynamics --steps \(DynamicsHeadline.steps)` on the built-in task with every \
        check (wall, user and system CPU seconds, --repeats runs; the target is under \(Int(DynamicsHeadline.targetSeconds)) s wall).
        """)
    var dynamicsHeadline = true

    @Flag(name: .long, help: """
        Instead, split the IM-RM parameter-space step at --sizes into its two gemms and everything else \
        (the library step timed whole, its gemms timed alone at the same shapes).
        """)
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
        let timing = BenchmarkTiming(repeats: repeats)
        if phases {
            var measured: [BenchmarkPhases.SizeTimings] = []
            for size in try selectedSizes() {
                let timings = try BenchmarkPhases.measure(size: size, seed: seed, timing: timing, learningRate: 0.1)
                measured.append(BenchmarkPhases.SizeTimings(size: size, timings: timings))
                if !json { print(BenchmarkPhases.render(timings, size: size)) }
            }
            if json { try printJSON(["phases": measured]) }
            return
        }
        let progress = BenchmarkProgress()
        let runner = BenchmarkRunner(sizes: simulators ? try selectedSizes() : [], cases: BenchmarkCase.allCases,
                                     timing: timing, seed: seed)
        var report = try runner.run { progress.show($0) }
        if dynamicsHeadline {
            progress.show("dynamics_headline: dynamics --steps \(DynamicsHeadline.steps)")
            report.dynamicsHeadline = try DynamicsHeadline.measure(repeats: repeats)
        }
        if tinyLM {
            // Last: it sets OpenBLAS's thread count back and forth, and leaves it at one.
            let rows = try TinyLMBenchmarkRunner(timing: timing, seed: seed).run { progress.show($0) }
            report.add(rows)
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
