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

    /// Writes `markdownPath` and each figure into the same folder (created if missing), each file
    /// atomically. Returns the paths written, report first.
    @discardableResult
    public func write(markdownPath: String) throws -> [String] {
        let markdownURL = URL(fileURLWithPath: markdownPath)
        let folder = markdownURL.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data(report.render().utf8).write(to: markdownURL, options: .atomic)
        var written = [markdownURL.path]
        for figure in figures {
            let url = folder.appendingPathComponent(figure.fileName)
            try Data(figure.svg.utf8).write(to: url, options: .atomic)
            written.append(url.path)
        }
        return written
    }
}
