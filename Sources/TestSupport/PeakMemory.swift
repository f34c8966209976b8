import Foundation
import TheorycheckCore
import XCTest

/// The memory a block of work adds at its peak (`ResidentMemory`): the kernel's high-water mark is reset
/// to the current resident set first, and the growth is the peak during the work minus the resident set
/// before it, so earlier tests in the same process do not count. Where the reset is not possible (not
/// Linux), the check is skipped with a line on standard error, never failed.
public enum PeakMemory {
    /// Runs `body` and fails when the process's peak resident set during it exceeds the resident set
    /// before it by more than `limit` bytes.
    public static func check(growthBelow limit: Int, _ what: String, file: StaticString = #filePath, line: UInt = #line,
                             _ body: () throws -> Void) rethrows
    {
        let before = ResidentMemory.currentBytes()
        let reset = ResidentMemory.resetPeak()
        try body()
        guard reset, let before, let peak = ResidentMemory.peakBytes() else {
            FileHandle.standardError.write(Data("PeakMemory: no resettable high-water mark here; \(what) not measured\n".utf8))
            return
        }
        let growth = peak - before
        XCTAssertLessThanOrEqual(growth, limit, "\(what): peak resident memory grew by \(growth >> 20) MiB > \(limit >> 20) MiB",
                                 file: file, line: line)
    }
}
