import Foundation

/// The command line that produced this run, as a report prints it: `./scripts/theorycheck` followed by
/// this process's arguments, each quoted for a POSIX shell when it needs to be.
func regeneratingCommand() -> String {
    let arguments = CommandLine.arguments.dropFirst().map(shellQuoted)
    return (["./scripts/theorycheck"] + arguments).joined(separator: " ")
}

/// `text` as one shell word: unchanged when it only holds safe characters, else in single quotes.
func shellQuoted(_ text: String) -> String {
    let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=,:+@%")
    if !text.isEmpty && text.allSatisfy(safe.contains) { return text }
    return "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
}
