import Foundation

/// This process's resident memory as the Linux kernel counts it: the peak (VmHWM of /proc/self/status)
/// and a reset of that peak (writing 5 to /proc/self/clear_refs, Linux 4.0+), so that a measurement can
/// cover one stretch of work. Elsewhere both answer nil / false.
public enum ResidentMemory {
    /// The peak resident set in bytes since the process started or the last reset, nil without /proc.
    public static func peakBytes() -> Int? { status("VmHWM:") }

    /// The current resident set in bytes, nil without /proc.
    public static func currentBytes() -> Int? { status("VmRSS:") }

    /// A "<key> <n> kB" line of /proc/self/status, in bytes.
    private static func status(_ key: String) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(key) {
            let parts = line.split(separator: " ")
            if parts.count >= 2, let kilobytes = Int(parts[1]) { return kilobytes * 1024 }
        }
        return nil
    }

    /// Resets the peak to the current resident set; false when the kernel does not allow it.
    public static func resetPeak() -> Bool {
        guard let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") else { return false }
        defer { try? handle.close() }
        do {
            try handle.write(contentsOf: Data("5".utf8))
            return true
        } catch {
            return false
        }
    }
}
