import Foundation
import LinearAlgebra
import RewardDynamics
import Tasks
import XCTest

/// Peak resident memory of the closed forms at 20000 contexts, where a context-by-context kernel held
/// whole would take C^2 x 8 bytes = 3.2 GB (and the first-order overlaps as much again).
final class MemoryFootprintTests: XCTestCase {
    /// The process's peak resident set (VmHWM) while `body` runs, above its resident set (VmRSS) just
    /// before, in bytes; nil where /proc/self/clear_refs cannot reset the peak (not Linux).
    private func peakGrowth(_ body: () throws -> Void) rethrows -> Int? {
        let descriptor = open("/proc/self/clear_refs", O_WRONLY)
        guard descriptor >= 0 else { return nil }
        let reset = write(descriptor, "5", 1)  // "5" resets VmHWM to the current resident set
        close(descriptor)
        guard reset == 1, let before = Self.status("VmRSS") else { return nil }
        try body()
        guard let peak = Self.status("VmHWM") else { return nil }
        return peak - before
    }

    /// A field of /proc/self/status in bytes ("VmHWM:   123 kB").
    private static func status(_ field: String) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            let number = line.dropFirst(field.count + 1).split(whereSeparator: \.isWhitespace).first.flatMap { Int($0) }
            return number.map { $0 * 1024 }
        }
        return nil
    }

    func testTwentyThousandContextsStayFarBelowAQuadraticKernel() throws {
        // 2500 training pairs of 4-token responses: 20000 training contexts (and 64 evaluation ones).
        var generator = SeededGenerator(seed: 5)
        let instance = try RandomInstance(vocabularySize: 32, hiddenWidth: 8, trainPairs: 2500, responseLength: 4)
            .make(using: &generator)
        let layout = SequenceLayout(instance)
        let contexts = layout.contextCount
        let trainContexts = layout.trainContextRows.count
        XCTAssertEqual(trainContexts, 20000)
        let quadratic = contexts * trainContexts * 8
        _ = BLAS.product(layout.contexts.rows(0..<64), layout.contexts.rows(0..<64), transposeB: true)  // BLAS's own buffers

        var seconds = 0.0
        let growth = try peakGrowth {
            let start = Date()
            var dynamics = ImplicitRewardDynamics(instance: instance, layout: layout, reference: .frozenInitial)
            XCTAssertFalse(dynamics.contextKernel.isMaterialized, "3.2 GB of kernel is computed in blocks")
            try dynamics.step(learningRate: 0.1)
            let prediction = try dynamics.firstOrderPrediction(learningRate: 0.1)
            XCTAssertEqual(prediction.predicted.count, layout.sequenceCount)
            seconds = Date().timeIntervalSince(start)
        }
        guard let growth else { throw XCTSkip("no /proc/self/clear_refs: peak memory cannot be measured here") }
        // What the estimate says these pieces hold: the kernel block, logits, gradient rows, training
        // laws and one block of laws and overlaps (the instance was allocated before the measurement).
        let estimate = RunCostEstimate(run: .analyze, instance: instance)
        let measuredPieces = estimate.items.filter { !$0.name.hasPrefix("the instance") }.reduce(0) { $0 + $1.bytes }
        print("MemoryFootprintTests: C = \(contexts), C_train = \(trainContexts): peak growth \(growth >> 20) MiB "
              + "(quadratic kernel \(quadratic >> 20) MiB, estimate \(measuredPieces >> 20) MiB), \(String(format: "%.1f", seconds)) s")
        XCTAssertLessThan(growth, quadratic / 16, "memory linear in C: far below one C x C_train kernel")
        // The estimate of these pieces against the measurement: within a factor of 1.5, plus 16 MiB for the
        // allocator's slack and the small vectors the estimate leaves out.
        XCTAssertLessThan(Double(growth), 1.5 * Double(measuredPieces) + Double(16 << 20))
        XCTAssertGreaterThan(Double(growth), Double(measuredPieces) / 1.5)
    }
}
