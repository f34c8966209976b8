import Foundation

/// Progress of a command with several stages: one `ProgressLine` per stage, labelled "command: stage",
/// every line's elapsed time counted from the start of the run.
final class StageProgress: @unchecked Sendable {
    private let command: String
    private let quiet: Bool
    private var lines: [String: ProgressLine] = [:]
    private let lock = NSLock()
    private let start = DispatchTime.now().uptimeNanoseconds

    init(command: String, quiet: Bool) {
        self.command = command
        self.quiet = quiet
    }

    func update(_ stage: String, _ done: Int, _ total: Int) {
        lock.lock()
        let line = lines[stage] ?? ProgressLine("\(command): \(stage)", quiet: quiet, start: start)
        lines[stage] = line
        lock.unlock()
        line.update(done, of: total)
    }
}
