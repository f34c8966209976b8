import Foundation

/// An SVG file that goes beside a report.
public struct ReportFigure: Sendable, Equatable {
    /// File name relative to the report's folder, e.g. "accuracy.svg".
    public let fileName: String
    public let svg: String

    public init(fileName: String, svg: String) {
        precondition(!fileName.isEmpty && !fileName.contains("/") && fileName != "." && fileName != "..",
                     "a figure's file name must be a plain name without '/', got \"\(fileName)\"")
        self.fileName = fileName
        self.svg = svg
    }
}

/// A markdown report and the SVG figures it links to, written together into one folder
/// (`notebooks-md/NAME.md` with the SVGs beside it).
public struct ReportBundle: Sendable, Equatable {
    public let report: MarkdownReport
    public let figures: [ReportFigure]

    public init(report: MarkdownReport, figures: [ReportFigure]) {
        let names = figures.map(\.fileName)
        precondition(Set(names).count == names.count, "two figures share a file name: \(names)")
        self.report = report
        self.figures = figures
    }

    /// Writes `markdownPath` and each figure into the same folder as one unit (`AtomicFileWriter`): every
    /// file goes to a temporary folder beside them first, then the figures and last the markdown are
    /// renamed into place, so a failure leaves neither a half-written file nor a report whose figures
    /// are missing. A target that is a directory, device or FIFO is refused, never replaced. The folder
    /// is created if missing (`createMissingFolder: false` makes that an error instead). Throws
    /// `OutputFileError` naming the file that failed; returns the paths written, report first.
    @discardableResult
    public func write(markdownPath: String, createMissingFolder: Bool = true) throws(OutputFileError) -> [String] {
        let markdownURL = URL(fileURLWithPath: markdownPath)
        let files = figures.map { AtomicFileWriter.File(name: $0.fileName, data: Data($0.svg.utf8)) }
            + [AtomicFileWriter.File(name: markdownURL.lastPathComponent, data: Data(report.render().utf8))]
        precondition(!figures.contains { $0.fileName == markdownURL.lastPathComponent },
                     "a figure has the report's own name \(markdownURL.lastPathComponent)")
        let written = try AtomicFileWriter.write(files, inFolder: markdownURL.deletingLastPathComponent().path,
                                                 createMissingFolder: createMissingFolder)
        return [written.last!] + written.dropLast()
    }
}
