import TheorycheckCore
import ArgumentParser
import ExperimentReports
import Foundation
import Reports

/// Options every reporting subcommand shares.
struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print machine-readable JSON on standard output instead of tables.")
    var json = false

    @Option(name: .long, help: "Write a markdown report (with SVG plots beside it) to this path.")
    var report: String?

    @Flag(name: .long, help: "No progress lines on standard error (errors are still printed).")
    var quiet = false

    /// A report path that names a directory, device or FIFO, or lies in a missing folder, is refused
    /// before any work starts.
    func validate() throws {
        if let report { try OutputTarget.check(report, option: "report") }
    }
}

/// Where a command may write: a missing or regular file in an existing folder (`AtomicFileWriter`).
enum OutputTarget {
    static func check(_ path: String, option: String) throws {
        do {
            try AtomicFileWriter.checkTarget(path)
        } catch {
            throw ValidationError("--\(option): \(error.description)")
        }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        guard FileSystemPath.kind(of: folder) == .directory else {
            throw ValidationError("--\(option): cannot write \(path): the folder \(folder) does not exist; create it first")
        }
    }
}

/// A failure the user can fix (a bad file, an impossible setting): one line on stderr, exit code 1.
struct CLIError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}

/// The last step of every subcommand: the JSON document or the terminal text on standard output, and
/// the report when `--report` asks for one. Everything is computed before anything is written, so a
/// failure (a non-finite figure, an unwritable path) leaves no output half-made.
func emit<P: Presentation>(_ presentation: P, _ output: OutputOptions) throws {
    let text = output.json ? try jsonText(presentation.jsonDocument) : presentation.terminalText
    if let path = output.report {
        guard let bundle = try presentation.reportBundle(reportPath: path, command: regeneratingCommand()) else {
            throw CLIError("this command writes no report; leave out --report")
        }
        try writeReport(bundle, to: path)
    }
    print(text)
}

/// `value` as the JSON every command prints (`JSONOutput`), or one line saying which figure was not finite.
func jsonText<T: Encodable>(_ value: T) throws -> String {
    do {
        return try JSONOutput.encode(value)
    } catch let error as NonFiniteJSONError {
        throw CLIError(error.description)
    }
}

/// Encodes `value` as sorted, pretty, snake_case JSON and prints it.
func printJSON<T: Encodable>(_ value: T) throws {
    print(try jsonText(value))
}

/// Writes `data` to `path` atomically (`AtomicFileWriter`), so a failure never leaves a half-written file;
/// the error names the path and says why in a sentence.
func writeAtomically(_ data: Data, to path: String) throws {
    do {
        try AtomicFileWriter.write(data, to: path)
    } catch {
        throw CLIError(error.description)
    }
}

/// Writes a report and its figures as one unit (figures first, the markdown last, all through a
/// temporary folder), or fails with one line naming the file that failed; nothing is left half-made.
func writeReport(_ bundle: ReportBundle, to path: String) throws {
    do {
        try bundle.write(markdownPath: path, createMissingFolder: false)
    } catch {
        throw CLIError(error.description)
    }
}

/// The last step of a subcommand without a report: JSON or the terminal text on standard output.
func emit<P: Presentation>(_ presentation: P, json: Bool) throws {
    print(json ? try jsonText(presentation.jsonDocument) : presentation.terminalText)
}
