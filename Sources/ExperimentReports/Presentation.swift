import Reports

/// One result as every command shows it: the tables printed on a terminal, the document `--json`
/// prints, and the markdown report (with SVG figures) `--report PATH` writes. Every subcommand ends by
/// handing one of these to the same emit step, so all three can be tested without running the binary.
public protocol Presentation {
    associatedtype Document: Encodable

    /// What the command prints without `--json`.
    var terminalText: String { get }

    /// What `--json` prints (through `JSONOutput`: snake_case keys, never "nan").
    var jsonDocument: Document { get }

    /// The report and its figures. `reportPath` is where the markdown goes (figures are named from it
    /// where several reports may share a folder); `command` is the line that regenerates the report.
    /// Nil for a command without a report.
    func reportBundle(reportPath: String, command: String) throws -> ReportBundle?
}

extension Presentation {
    public func reportBundle(reportPath: String, command: String) throws -> ReportBundle? { nil }
}
