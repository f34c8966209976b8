import ArgumentParser
import Reports
import Foundation

/// Options every reporting subcommand shares.
struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print machine-readable JSON on standard output instead of tables.")
    var json = false

    @Option(name: .long, help: "Write a markdown report (with SVG plots beside it) to this path.")
    var report: String?
}

/// A failure the user can fix (a bad file, an impossible setting): one line on stderr, exit code 1.
struct CLIError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}

/// Encodes `value` as sorted, pretty JSON and prints it.
func printJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(
        positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    let data = try encoder.encode(value)
    print(String(decoding: data, as: UTF8.self))
}

/// Writes `text` to `path` atomically, so a failure never leaves a half-written file.
func writeAtomically(_ text: String, to path: String) throws {
    let url = URL(fileURLWithPath: path)
    do {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url, options: .atomic)
    } catch {
        throw CLIError("cannot write \(path): \(error.localizedDescription)")
    }
}

/// A progress line on standard error, overwritten in place; silent when stderr is not a terminal.
struct ProgressLine {
    let label: String
    private let enabled = isatty(STDERR_FILENO) != 0

    init(_ label: String) {
        self.label = label
    }

    func update(_ done: Int, of total: Int) {
        guard enabled, total > 0, done == total || done % max(1, total / 100) == 0 else { return }
        FileHandle.standardError.write(Data("\r\(label): \(done)/\(total)".utf8))
        if done == total { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}

/// Writes a report and its figures (each file atomically), or fails with one line naming the path.
func writeReport(_ bundle: ReportBundle, to path: String) throws {
    do {
        try bundle.write(markdownPath: path)
    } catch {
        throw CLIError("cannot write the report \(path): \(error.localizedDescription)")
    }
}

/// A sink for the progress lines of long experiments: each line on stderr when it is a terminal, else
/// nothing (scripts that capture stderr get only errors).
func progressLinesToTerminal() -> @Sendable (String) -> Void {
    let verbose = isatty(STDERR_FILENO) != 0
    return { line in
        if verbose { FileHandle.standardError.write(Data((line + "\n").utf8)) }
    }
}
