import Reports
import XCTest

final class MarkdownReportTests: XCTestCase {
    func testReportMatchesItsGoldenString() {
        var report = MarkdownReport(title: "Token-level shift")
        report.paragraph("Seed 7. Accuracy of each reward model.")
        report.command("theorycheck persona --seed 7 --report notebooks-md/persona.md")
        report.heading("Results")
        var table = MarkdownTable(headers: ["model", "accuracy"])
        table.addRow("EX-RM", numbers: [1])
        report.table(table)
        report.image(path: "persona-accuracy.svg", altText: "accuracy [per step]")
        report.bulletList(["one", "two\nlines"])
        let golden = """
            # Token-level shift

            Seed 7. Accuracy of each reward model.

            Regenerate this report with:

            ```sh
            theorycheck persona --seed 7 --report notebooks-md/persona.md
            ```

            ## Results

            | model | accuracy |
            | :---- | -------: |
            | EX-RM |     1.00 |

            ![accuracy \\[per step\\]](persona-accuracy.svg)

            - one
            - two lines

            """
        XCTAssertEqual(report.render(), golden)
    }

    func testCodeFenceIsLongerThanAnyBacktickRunInside() {
        var report = MarkdownReport(title: "t")
        report.codeBlock("a ``` b\n", language: "text")
        XCTAssertEqual(report.render(), "# t\n\n````text\na ``` b\n````\n")
    }

    func testImagePathsWithSpacesAreWrappedInAngleBrackets() {
        var report = MarkdownReport(title: "t")
        report.image(path: "my plot (1).svg", altText: "p")
        XCTAssertEqual(report.render(), "# t\n\n![p](<my plot (1).svg>)\n")
    }

    func testRenderingIsDeterministicAndCarriesNoTimestamp() {
        func build() -> MarkdownReport {
            var report = MarkdownReport(title: "Determinism")
            report.paragraph("text")
            report.command("theorycheck step --seed 1")
            return report
        }
        let first = build().render()
        XCTAssertEqual(first, build().render())
        let year = Calendar(identifier: .gregorian).component(.year, from: Date())
        XCTAssertFalse(first.contains(String(year)), "a report must not contain the current year (a timestamp)")
    }
}
