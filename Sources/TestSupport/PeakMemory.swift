import Foundation
import TheorycheckCore
import XCTest

/// The peak resident memory of a block of work (`ResidentMemory`): the kernel's high-water mark is reset
/// first, so earlier tests in the same process do not count. Where the reset is not possible (not
/// Linux), the check is skipped with a line on standard error, never failed.
public enum PeakMemory {
    /// Runs `body` and fails when the process's peak resident set during it exceeds `limit` bytes.
    public static func check(below limit: Int, _ what: String, file: StaticString = #filePath, line: UInt = #line,
                             _ body: () throws -> Void) rethrows
    {
        let reset = ResidentMemory.resetPeak()
        try body()
        guard reset, let peak = ResidentMemory.peakBytes() else {
            FileHandle.standardError.write(Data("PeakMemory: no resettable high-water mark here; \(what) not measured\n".utf8))
            return
        }
        XCTAssertLessThanOrEqual(peak, limit, "\(what): peak resident memory \(peak >> 20) MiB > \(limit >> 20) MiB",
                                 file: file, line: line)
    }
}
