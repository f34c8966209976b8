import Foundation
import XCTest

/// The peak resident memory of a block of work, on Linux: the kernel's high-water mark (VmHWM in
/// /proc/self/status) is reset first (writing 5 to /proc/self/clear_refs), so earlier tests in the same
/// process do not count. Elsewhere, or where the reset is refused, the check is skipped (reported once
/// on standard error), never failed.
public enum PeakMemory {
    /// Runs `body` and fails when the process's peak resident set during it exceeds `limit` bytes.
    public static func check(below limit: Int, _ what: String, file: StaticString = #filePath, line: UInt = #line,
                             _ body: () throws -> Void) rethrows
    {
        let reset = resetHighWaterMark()
        try body()
        guard reset, let peak = highWaterMark() else {
            FileHandle.standardError.write(Data("PeakMemory: no resettable high-water mark here; \(what) not measured\n".utf8))
            return
        }
        XCTAssertLessThanOrEqual(peak, limit, "\(what): peak resident memory \(peak >> 20) MiB > \(limit >> 20) MiB",
                                 file: file, line: line)
    }

    /// Resets the kernel's peak-RSS counter for this process (Linux 4.0+); false when not possible.
    public static func resetHighWaterMark() -> Bool {
        guard let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") else { return false }
        defer { try? handle.close() }
        do {
            try handle.write(contentsOf: Data("5".utf8))
            return true
        } catch {
            return false
        }
    }

    /// VmHWM of this process in bytes, or nil where /proc is not available.
    public static func highWaterMark() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let parts = line.split(separator: " ")
            if parts.count >= 2, let kilobytes = Int(parts[1]) { return kilobytes * 1024 }
        }
        return nil
    }
}
