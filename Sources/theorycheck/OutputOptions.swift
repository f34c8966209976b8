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

/// Writes a report and its figures (each file atomically), or fails with one line naming the path.
func writeReport(_ bundle: ReportBundle, to path: String) throws {
    do {
        try bundle.write(markdownPath: path)
    } catch {
        throw CLIError("cannot write the report \(path): \(error.localizedDescription)")
    }
}

/// The last step of a subcommand without a report: JSON or the terminal text on standard output.
func emit<P: Presentation>(_ presentation: P, json: Bool) throws {
    print(json ? try jsonText(presentation.jsonDocument) : presentation.terminalText)
}
