import Reports
import XCTest

final class MarkdownTableTests: XCTestCase {
    func testTinyTableMatchesItsGoldenString() {
        var table = MarkdownTable(headers: ["set", "EX-RM", "IM-RM"])
        table.addRow("in-distribution", numbers: [0.752, 0.646])
        table.addRow("shift | token", numbers: [0.665, 0.60249])
        let golden = """
            | set             | EX-RM | IM-RM |
            | :-------------- | ----: | ----: |
            | in-distribution | 0.752 | 0.646 |
            | shift \\| token  | 0.665 | 0.602 |

            """
        XCTAssertEqual(table.render(), golden)
    }

    func testAlignmentsPadCellsAndMarkTheSeparator() {
        var table = MarkdownTable(headers: ["a", "centre", "r"], alignments: [.left, .center, .right])
        table.addRow(["xy", "z", "1"])
        let lines = table.render().split(separator: "\n").map(String.init)
        XCTAssertEqual(lines, [
            "| a   | centre |   r |",
            "| :-- | :----: | --: |",
            "| xy  |   z    |   1 |",
        ])
        let widths = lines.map(\.count)
        XCTAssertEqual(Set(widths).count, 1, "every line of a padded table has the same length: \(widths)")
    }

    func testLineBreaksInCellsBecomeSpaces() {
        var table = MarkdownTable(headers: ["h"])
        table.addRow(["two\nlines"])
        XCTAssertEqual(table.render(), "| h         |\n| :-------- |\n| two lines |\n")
    }

    func testNumberHelperUsesSignificantDigits() {
        XCTAssertEqual(MarkdownTable.number(0.99348), "0.993")
        XCTAssertEqual(MarkdownTable.number(1, digits: 4), "1.000")
        XCTAssertEqual(MarkdownTable.number(.nan), "NaN")
    }
}
