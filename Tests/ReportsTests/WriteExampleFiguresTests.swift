import Foundation
import Reports
import XCTest

/// Writes the example figures for a visual check; runs only when THEORYCHECK_EXAMPLE_FIGURES is set.
final class WriteExampleFiguresTests: XCTestCase {
    func testWriteExampleFigures() throws {
        guard let folder = ProcessInfo.processInfo.environment["THEORYCHECK_EXAMPLE_FIGURES"] else {
            throw XCTSkip("set THEORYCHECK_EXAMPLE_FIGURES to a folder to write the example figures")
        }
        var report = MarkdownReport(title: "Example figures")
        report.image(path: "line.svg", altText: "line plot")
        report.image(path: "scatter.svg", altText: "scatter plot")
        report.image(path: "heatmap.svg", altText: "heat map")
        let bundle = ReportBundle(report: report, figures: [
            ReportFigure(fileName: "line.svg", svg: ExampleFigures.linePlot.render()),
            ReportFigure(fileName: "scatter.svg", svg: ExampleFigures.scatterPlot.render()),
            ReportFigure(fileName: "heatmap.svg", svg: ExampleFigures.heatMap.render()),
        ])
        let written = try bundle.write(markdownPath: folder + "/examples.md")
        XCTAssertEqual(written.count, 4)
    }
}
