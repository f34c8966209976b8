import Foundation
import Reports
import XCTest

final class SVGPlotTests: XCTestCase {
    func testExamplePlotsAreWellFormedStandaloneSVG() {
        assertWellFormedSVG(ExampleFigures.linePlot.render())
        assertWellFormedSVG(ExampleFigures.scatterPlot.render())
        assertWellFormedSVG(ExampleFigures.heatMap.render())
    }

    func testRenderingIsDeterministic() {
        XCTAssertEqual(ExampleFigures.linePlot.render(), ExampleFigures.linePlot.render())
        XCTAssertEqual(ExampleFigures.scatterPlot.render(), ExampleFigures.scatterPlot.render())
        XCTAssertEqual(ExampleFigures.heatMap.render(), ExampleFigures.heatMap.render())
        XCTAssertNotEqual(ExampleFigures.linePlot.render(), ExampleFigures.scatterPlot.render())
    }

    func testTextIsEscapedAndSurvivesAnXMLRoundTrip() {
        let awkward = "a < b & c > \"d\" 'e'"
        let line = SVGLinePlot(title: awkward, xLabel: "x & y", yLabel: "<y>",
                               series: [PlotSeries(name: awkward, x: [0, 1], y: [0, 1])],
                               referenceLines: [ReferenceLine(y: 0.5, label: "p < 0.5")])
        let svg = line.render()
        XCTAssertFalse(svg.contains("a < b"), "raw '<' inside text")
        let check = XMLCheck(svg)
        XCTAssertTrue(check.wellFormed, check.errorDescription)
        XCTAssertEqual(check.texts.filter { $0 == awkward }.count, 2, "title and legend entry: \(check.texts)")
        XCTAssertTrue(check.texts.contains("x & y"))
        XCTAssertTrue(check.texts.contains("<y>"))
        XCTAssertTrue(check.texts.contains("p < 0.5"))

        let heat = SVGHeatMap(title: awkward, rowLabels: ["r&1"], columnLabels: ["<c>"], values: [[0.25]]).render()
        let heatCheck = XMLCheck(heat)
        XCTAssertTrue(heatCheck.wellFormed, heatCheck.errorDescription)
        XCTAssertTrue(heatCheck.texts.contains("r&1") && heatCheck.texts.contains("<c>"), "\(heatCheck.texts)")
    }

    func testNaNInfinitiesAndEmptyInputDoNotCrashOrLeakIntoCoordinates() {
        let cases: [SVGLinePlot] = [
            SVGLinePlot(title: "no series", xLabel: "x", yLabel: "y"),
            SVGLinePlot(title: "empty", xLabel: "x", yLabel: "y", series: [PlotSeries(name: "e", points: [])]),
            SVGLinePlot(title: "all NaN", xLabel: "x", yLabel: "y",
                        series: [PlotSeries(name: "n", x: [.nan, 1, .infinity], y: [1, .nan, 2])]),
            SVGLinePlot(title: "constant", xLabel: "x", yLabel: "y",
                        series: [PlotSeries(name: "c", x: [3, 3], y: [0.5, 0.5])]),
            SVGLinePlot(title: "log, zeros only", xLabel: "x", yLabel: "y",
                        series: [PlotSeries(name: "z", x: [0, 0], y: [1, 2])], xScale: .logarithmicSteps),
            SVGLinePlot(title: "log, negatives", xLabel: "x", yLabel: "y",
                        series: [PlotSeries(name: "z", x: [-1, 10, 100], y: [1, 2, 3])],
                        xScale: .logarithmic(zeroAt: nil)),
        ]
        for plot in cases {
            assertWellFormedSVG(plot.render())
        }
        assertWellFormedSVG(SVGScatterPlot(title: "empty").render())
        assertWellFormedSVG(SVGScatterPlot(title: "NaN", series: [PlotSeries(name: "n", x: [.nan], y: [1])]).render())
        assertWellFormedSVG(SVGHeatMap(title: "empty", rowLabels: [], columnLabels: [], values: []).render())
        assertWellFormedSVG(SVGHeatMap(title: "NaN", rowLabels: ["r"], columnLabels: ["c"], values: [[.nan]]).render())
    }

    func testNaNBreaksALineIntoSeparateRuns() {
        let plot = SVGLinePlot(title: "gap", xLabel: "x", yLabel: "y",
                               series: [PlotSeries(name: "s", x: [0, 1, 2, 3, 4], y: [0, 1, .nan, 3, 4])])
        let paths = XMLCheck(plot.render()).elements(named: "path")
        XCTAssertEqual(paths.count, 1)
        let commands = paths[0].attributes["d"] ?? ""
        XCTAssertEqual(commands.filter { $0 == "M" }.count, 2, "two runs: \(commands)")
        XCTAssertEqual(commands.filter { $0 == "L" }.count, 2, "each run has one segment: \(commands)")
    }

    func testLinePlotDrawsOneStyledPathPerSeriesAndALegendEntryEach() {
        let series = (0..<6).map { index in
            PlotSeries(name: "s\(index)", x: [0, 1, 2], y: [0, Double(index), 1])
        }
        let check = XMLCheck(SVGLinePlot(title: "t", xLabel: "x", yLabel: "y", series: series).render())
        let paths = check.elements(named: "path")
        XCTAssertEqual(paths.count, 6)
        let looks = paths.map { "\($0.attributes["stroke"] ?? "")|\($0.attributes["stroke-dasharray"] ?? "solid")" }
        XCTAssertEqual(Set(looks).count, 6, "every series looks different: \(looks)")
        XCTAssertEqual(Set(paths.compactMap { $0.attributes["stroke"] }).count, 6, "six distinct colors")
        for index in 0..<6 { XCTAssertTrue(check.texts.contains("s\(index)")) }
    }

    func testLogarithmicStepAxisLabelsZeroAndTheDecades() {
        let plot = SVGLinePlot(title: "t", xLabel: "step", yLabel: "y",
                               series: [PlotSeries(name: "s", x: [0, 1, 10, 100, 500], y: [0.5, 0.6, 0.7, 0.8, 0.9])],
                               xScale: .logarithmicSteps, yRange: 0...1)
        let check = XMLCheck(plot.render())
        let xLabelTexts = ["0", "1", "2", "5", "10", "20", "50", "100", "200", "500"]
        for label in xLabelTexts { XCTAssertTrue(check.texts.contains(label), "missing x tick \(label)") }
        XCTAssertFalse(check.texts.contains("0.5"), "the zero position carries the label 0, not 0.5")
        XCTAssertFalse(check.texts.contains("1000"), "no tick beyond the data")
        // The point at step 0 is drawn left of the point at step 1, and step 500 furthest right.
        let circles = check.elements(named: "circle").compactMap { Double($0.attributes["cx"] ?? "") }
        XCTAssertEqual(circles.count, 5 + 1, "five points and the legend marker")
        XCTAssertEqual(Array(circles.prefix(5)), circles.prefix(5).sorted())
    }

    func testPerSeedMarksAreTranslucentMarkersInTheSeriesStyleAndWidenTheAxes() {
        let marks = [PlotPoint(x: 1, y: 0.2), PlotPoint(x: 1, y: 3), PlotPoint(x: 2, y: .nan)]
        let plot = SVGLinePlot(title: "t", xLabel: "x", yLabel: "y",
                               series: [PlotSeries(name: "s", x: [1, 2], y: [1, 2], marks: marks)], showsMarkers: false)
        let check = XMLCheck(plot.render())
        XCTAssertTrue(check.wellFormed, check.errorDescription)
        let translucent = check.elements(named: "circle").filter { $0.attributes["fill-opacity"] != nil }
        XCTAssertEqual(translucent.count, 2, "one marker per finite mark, none for the NaN one")
        XCTAssertEqual(Set(translucent.compactMap { $0.attributes["fill"] }), [SeriesStyle.forSeries(0).color])
        XCTAssertTrue(check.texts.contains("3.0"), "the y axis reaches the highest mark (3), not just the line's 2: \(check.texts)")
    }

    func testReferenceLineIsDrawnWithItsLabel() {
        let plot = SVGLinePlot(title: "t", xLabel: "x", yLabel: "y",
                               series: [PlotSeries(name: "s", x: [0, 1], y: [0, 1])], yRange: 0...1,
                               referenceLines: [ReferenceLine(y: 0.5, label: "chance")])
        let check = XMLCheck(plot.render())
        XCTAssertTrue(check.texts.contains("chance"))
        let dashedHorizontal = check.elements(named: "line").filter {
            $0.attributes["stroke-dasharray"] == "5 4" && $0.attributes["y1"] == $0.attributes["y2"]
        }
        XCTAssertEqual(dashedHorizontal.count, 1)
    }

    func testScatterPlotDrawsTheDiagonalCornerToCornerAndOneMarkerPerFinitePoint() {
        let plot = SVGScatterPlot(title: "s", series: [
            PlotSeries(name: "a", x: [0, 1, .nan], y: [0, 2, 1]),
            PlotSeries(name: "b", x: [0.5], y: [0.25]),
        ])
        let check = XMLCheck(plot.render())
        let diagonal = check.elements(named: "line").first {
            $0.attributes["stroke-dasharray"] == "5 4" && $0.attributes["x1"] != $0.attributes["x2"]
                && $0.attributes["y1"] != $0.attributes["y2"]
        }
        XCTAssertNotNil(diagonal)
        if let diagonal, let x1 = Double(diagonal.attributes["x1"]!), let x2 = Double(diagonal.attributes["x2"]!),
           let y1 = Double(diagonal.attributes["y1"]!), let y2 = Double(diagonal.attributes["y2"]!)
        {
            XCTAssertEqual(x2 - x1, y1 - y2, "the diagonal rises at 45 degrees in a square frame")
        }
        // Series a draws circles (2 finite points + legend), series b squares (1 point + legend).
        XCTAssertEqual(check.elements(named: "circle").count, 3)
        XCTAssertEqual(check.elements(named: "rect").filter { $0.attributes["fill"] == "#D55E00" }.count, 2)
        XCTAssertTrue(check.texts.contains("y = x"))
    }

    func testHeatMapHasOneCellAndOneValuePerEntry() {
        let map = SVGHeatMap(title: "h", rowLabels: ["a", "b"], columnLabels: ["x", "y", "z"],
                             values: [[0, 0.5, 1], [0.022, .nan, 1.5]])
        let check = XMLCheck(map.render())
        let cells = check.elements(named: "rect").filter { $0.attributes["stroke"] == "#ffffff" }
        XCTAssertEqual(cells.count, 6)
        for value in ["0.000", "0.500", "1.000", "0.022", "n/a", "1.500"] {
            XCTAssertTrue(check.texts.contains(value), "missing cell text \(value)")
        }
        let fills = cells.compactMap { $0.attributes["fill"] }
        XCTAssertEqual(fills[0], HeatMapColorScale.chanceCentred.color(at: 0).hex)
        XCTAssertEqual(fills[5], fills[2], "1.5 is clamped to the colour of 1")
        XCTAssertEqual(fills[4], HeatMapColorScale.missingColor.hex)
        XCTAssertEqual(check.elements(named: "linearGradient").count, 1, "the color-scale legend")
    }
}

final class HeatMapColorScaleTests: XCTestCase {
    func testAnchorsAreHitExactlyAndValuesAreClamped() {
        for scale in [HeatMapColorScale.chanceCentred, .sequential] {
            for (index, anchor) in scale.anchors.enumerated() {
                XCTAssertEqual(scale.color(at: Double(index) / Double(scale.anchors.count - 1)), anchor)
            }
            XCTAssertEqual(scale.color(at: -3), scale.anchors.first)
            XCTAssertEqual(scale.color(at: 7), scale.anchors.last)
            XCTAssertEqual(scale.color(at: .nan), HeatMapColorScale.missingColor)
        }
        XCTAssertEqual(HeatMapColorScale.chanceCentred.color(at: 0.5).hex, "#f7f7f7")
        XCTAssertEqual(HeatMapColorScale.RGB(red: 255, green: 0, blue: 16.4).hex, "#ff0010")
    }

    func testMidpointsInterpolateLinearly() {
        let scale = HeatMapColorScale(anchors: [.init(red: 0, green: 100, blue: 200), .init(red: 200, green: 100, blue: 0)])
        XCTAssertEqual(scale.color(at: 0.25), .init(red: 50, green: 100, blue: 150))
    }
}

final class ReportBundleTests: XCTestCase {
    func testWritesTheReportAndItsFiguresSideBySide() throws {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("theorycheck-bundle-\(ProcessInfo.processInfo.processIdentifier)")
        defer { try? FileManager.default.removeItem(at: folder) }
        var report = MarkdownReport(title: "Bundle")
        report.image(path: "figure.svg", altText: "figure")
        let svg = ExampleFigures.heatMap.render()
        let bundle = ReportBundle(report: report, figures: [ReportFigure(fileName: "figure.svg", svg: svg)])
        let paths = try bundle.write(markdownPath: folder.appendingPathComponent("nested/report.md").path)
        XCTAssertEqual(paths.count, 2)
        XCTAssertEqual(try String(contentsOfFile: paths[0], encoding: .utf8), report.render())
        XCTAssertEqual(try String(contentsOfFile: paths[1], encoding: .utf8), svg)
        XCTAssertTrue(paths[1].hasSuffix("nested/figure.svg"))
    }
}
