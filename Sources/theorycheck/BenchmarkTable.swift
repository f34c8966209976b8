import Foundation
import TinyLM

/// The terminal table of `theorycheck bench`: one row per timed case (simulator steps, then tiny-LM
/// training steps), each with its seconds per step, its GFLOP/s and the fraction of the rate of a square
/// gemm of the same precision and thread count measured around it.
struct BenchmarkTable {
    let report: BenchmarkReport

    func render() -> String {
        var lines: [String] = []
        let headers = ["case", "precision", "threads", "ms/step", "CPU ms", "tokens/s", "GFLOP/s", "gemm N",
                       "gemm GFLOP/s", "fraction"]
        let widths = [28, 10, 9, 10, 9, 10, 9, 8, 14, 8]
        lines.append(row(headers, widths))
        for result in report.cases {
            lines.append(row([
                "\(result.rm) \(result.size)", result.precision.rawValue, "\(result.blasThreads) BLAS",
                milliseconds(result.secondsPerStep), "-", "-", String(format: "%.2f", result.gflops), "\(result.dgemmSize)",
                String(format: "%.2f", result.dgemmGflops), String(format: "%.3f", result.ratioToDGEMM),
            ], widths))
        }
        for entry in report.tinyLM ?? [] {
            let step = entry.step
            lines.append(row([
                "tiny_lm d\(step.width) L\(step.layers) T\(step.contextLength) B\(step.batchSize)", step.precision.rawValue,
                "\(step.threads)", milliseconds(step.secondsPerStep), milliseconds(step.cpuSecondsPerStep),
                String(format: "%.0f", step.tokensPerSecond),
                String(format: "%.2f", step.gflops), "\(entry.gemmSize)", String(format: "%.2f", entry.gemmGflops),
                String(format: "%.3f", entry.fractionOfGemm),
            ], widths))
        }
        lines.append("")
        lines.append("GFLOP/s counts the matrix products of a step only; fraction = GFLOP/s over a square gemm of size N")
        lines.append("(dgemm for float64, sgemm for float32, on as many BLAS threads as the case uses), measured just before")
        lines.append("and just after each case, the better of the two; best of \(report.repeats) samples each.")
        var best = "The machine's best: dgemm \(String(format: "%.2f", report.dgemmGflops)) GFLOP/s"
        if let sgemm = report.sgemmGflops { best += ", sgemm \(String(format: "%.2f", sgemm)) GFLOP/s" }
        if let load = report.loadAverage { best += String(format: "; load average %.2f at the start", load) }
        lines.append(best + ".")
        if !report.cases.isEmpty {
            lines.append("Simulator sizes (V, d, n, L): " + BenchmarkSize.all.map {
                "\($0.name) (\($0.vocabularySize), \($0.hiddenWidth), \($0.trainPairs), \($0.responseLength))"
            }.joined(separator: ", ") + "; simulators run on OpenBLAS's own threads.")
        }
        if let headline = report.dynamicsHeadline { lines.append(headline.line) }
        if report.tinyLM?.isEmpty == false {
            lines.append("tiny_lm: one Adam step of TinyLM.trainNextToken on B random sequences of T tokens (d width, L layers,")
            lines.append("V = 64); threads = TinyLM.threads with BLAS on one thread; CPU ms = process CPU time per step.")
        }
        return lines.joined(separator: "\n")
    }

    private func milliseconds(_ seconds: Double) -> String {
        seconds >= 1e-3 ? String(format: "%.2f", seconds * 1000) : String(format: "%.4f", seconds * 1000)
    }

    private func row(_ cells: [String], _ widths: [Int]) -> String {
        zip(cells, widths).map { cell, width in
            cell.count >= width ? cell + " " : cell + String(repeating: " ", count: width - cell.count)
        }.joined()
    }
}
