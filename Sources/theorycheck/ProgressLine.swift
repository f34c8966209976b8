import Foundation

/// Progress of a long run on standard error, with the elapsed time, whether or not stderr is a
/// terminal (batch jobs and `2> log` see it too); `--quiet` turns it off. On a terminal the line is
/// redrawn in place about a hundred times; elsewhere a line is written about every tenth of the run,
/// so a log stays short. Standard output is never touched.
final class ProgressLine: @unchecked Sendable {
    let label: String
    private let enabled: Bool
    private let interactive = isatty(STDERR_FILENO) != 0
    private let start: UInt64
    private let lock = NSLock()

    /// `start` (uptime nanoseconds) is where the elapsed time counts from: now, or an earlier moment
    /// shared by several lines of one run.
    init(_ label: String, quiet: Bool, start: UInt64 = DispatchTime.now().uptimeNanoseconds) {
        self.label = label
        self.enabled = !quiet
        self.start = start
    }

    /// Seconds since this line was made.
    var elapsedSeconds: Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }

    /// `done` of `total` units finished.
    func update(_ done: Int, of total: Int) {
        guard enabled, total > 0 else { return }
        let every = max(1, total / (interactive ? 100 : 10))
        guard done == total || done % every == 0 else { return }
        let text = "\(label): \(done)/\(total) (\(elapsed))"
        if interactive {
            write("\r" + text + (done == total ? "\n" : ""))
        } else {
            write(text + "\n")
        }
    }

    /// One line of news (a stage finished), with the elapsed time.
    func note(_ line: String) {
        guard enabled else { return }
        write("\(label): \(line) (\(elapsed))\n")
    }

    /// A closure for library code that reports lines from any thread.
    var lineSink: @Sendable (String) -> Void {
        { [self] line in note(line) }
    }

    private var elapsed: String { String(format: "%.1f s", elapsedSeconds) }

    private func write(_ text: String) {
        lock.lock()
        FileHandle.standardError.write(Data(text.utf8))
        lock.unlock()
    }
}
