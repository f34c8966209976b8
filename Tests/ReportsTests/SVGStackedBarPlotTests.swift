import Foundation
import Reports
import XCTest

final class SVGStackedBarPlotTests: XCTestCase {
    private let plot = SVGStackedBarPlot(
        title: "parts & shares", yLabel: "share",
        categories: [BarCategory(label: "1", group: "train"), BarCategory(label: "10", group: "train"),
                     BarCategory(label: "1", group: "paraphrase")],
        series: [BarSeries(name: "a", values: [1, 0.5, -0.25]), BarSeries(name: "b <x>", values: [-0.5, 0.25, -0.25]),
                 BarSeries(name: "c", values: [2, .nan, 0.5]), BarSeries(name: "d", values: [-1, 0, 0])])

    /// The bar segments: rects with the thin white outline that only segments carry.
    private func segments(_ svg: String) -> [(x: Double, y: Double, height: Double)] {
        XMLCheck(svg).elements(named: "rect").filter { $0.attributes["stroke"] == "#ffffff" }.map {
            (Double($0.attributes["x"]!)!, Double($0.attributes["y"]!)!, Double($0.attributes["height"]!)!)
        }
    }

    func testWellFormedDeterministicAndEscaped() {
        let svg = plot.render()
        assertWellFormedSVG(svg)
        XCTAssertEqual(svg, plot.render())
        let check = XMLCheck(svg)
        for text in ["parts & shares", "b <x>", "train", "paraphrase", "net", "share"] {
            XCTAssertTrue(check.texts.contains(text), "missing text \(text): \(check.texts)")
        }
    }

    func testPositivePartsStackUpAndNegativePartsStackDownWithoutOverlap() {
        let all = segments(plot.render())
        // Bar 0 draws 4 segments, bar 1 two (NaN and 0 are not drawn), bar 2 three.
        XCTAssertEqual(all.count, 9)
        let first = all.filter { $0.x == all[0].x }
        XCTAssertEqual(first.count, 4)
        let (positive, negative) = ([first[0], first[2]], [first[1], first[3]])  // values 1, 2 and -0.5, -1
        // Positive segments tile one interval above the zero line, negative ones below it.
        let sortedPositive = positive.sorted { $0.y < $1.y }
        XCTAssertEqual(sortedPositive[0].y + sortedPositive[0].height, sortedPositive[1].y, accuracy: 0.02)
        let sortedNegative = negative.sorted { $0.y < $1.y }
        XCTAssertEqual(sortedNegative[0].y + sortedNegative[0].height, sortedNegative[1].y, accuracy: 0.02)
        let zero = sortedPositive[1].y + sortedPositive[1].height
        XCTAssertEqual(sortedNegative[0].y, zero, accuracy: 0.02, "both stacks start at 0")
        // Heights are proportional to the values: 3 up, 1.5 down.
        let up = positive.reduce(0) { $0 + $1.height }
        let down = negative.reduce(0) { $0 + $1.height }
        XCTAssertEqual(up / down, 2, accuracy: 0.01)
        XCTAssertEqual(first[2].height / first[0].height, 2, accuracy: 0.01, "segment c is twice a")
        // The groups are separated: the gap between bars 1 and 2 is wider than between bars 0 and 1.
        let xs = Array(Set(all.map(\.x))).sorted()
        XCTAssertEqual(xs.count, 3)
        XCTAssertGreaterThan(xs[2] - xs[1], xs[1] - xs[0])
    }

    func testFixedRangeClipsAndEmptyOrNonFiniteInputRenders() {
        var clipped = plot
        clipped.yRange = -1...1
        assertWellFormedSVG(clipped.render())
        assertWellFormedSVG(SVGStackedBarPlot(title: "empty", yLabel: "y", categories: [], series: []).render())
        let nan = SVGStackedBarPlot(title: "nan", yLabel: "y", categories: [BarCategory(label: "x")],
                                    series: [BarSeries(name: "n", values: [.nan]), BarSeries(name: "i", values: [.infinity])])
        assertWellFormedSVG(nan.render())
        XCTAssertTrue(segments(nan.render()).isEmpty)
    }
}
