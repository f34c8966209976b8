/// A predicted-versus-actual scatter plot with the y = x diagonal, as a standalone SVG 1.1 document:
/// closed-form predictions of reward changes against the changes measured in training.
///
/// Both axes share one range (the data of both coordinates, or `range`) and the frame is square, so the
/// diagonal is at 45 degrees and a point's distance from it reads directly as the prediction error.
/// Each series gets its own color and marker shape; the legend lists the series and the diagonal.
///
/// Properties (tested): well-formed XML, deterministic, escaped text, non-finite points skipped, empty
/// input renders an empty frame with the diagonal.
public struct SVGScatterPlot: Sendable, Equatable {
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [PlotSeries]
    /// Shared axis range; nil fits all finite coordinates of all series.
    public var range: ClosedRange<Double>?
    /// Side of the square frame in pixels.
    public var frameSide: Double

    public init(title: String, xLabel: String = "predicted", yLabel: String = "actual",
                series: [PlotSeries] = [], range: ClosedRange<Double>? = nil, frameSide: Double = 400)
    {
        precondition(frameSide >= 100, "the scatter frame must be at least 100 pixels, got \(frameSide)")
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
        self.range = range
        self.frameSide = frameSide
    }

    static let diagonalLabel = "y = x"

    /// The SVG document, ending with a newline.
    public func render() -> String {
        let legend = PlotLegend(names: series.map(\.name) + [Self.diagonalLabel])
        let frame = PlotFrame(left: 70, top: 44, right: 70 + frameSide, bottom: 44 + frameSide)
        var document = SVGDocument(width: frame.right + 16 + legend.width + 8, height: frame.bottom + 56)
        let values = series.flatMap { $0.points.flatMap { [$0.x, $0.y] } }
        let xAxis = PlotAxis(values: values, scale: .linear, fixedRange: range, pixelStart: frame.left,
                             pixelEnd: frame.right, targetTickCount: 6)
        let yAxis = PlotAxis(values: values, scale: .linear, fixedRange: range, pixelStart: frame.bottom,
                             pixelEnd: frame.top, targetTickCount: 6)
        frame.drawBackground(title: title, xLabel: xLabel, yLabel: yLabel, xAxis: xAxis, yAxis: yAxis,
                             into: &document)
        frame.defineClip(id: "scatter-area", into: &document)

        // The diagonal from corner to corner: both axes have the same range, so (lower, lower) and
        // (upper, upper) are the frame's corners.
        document.line(x1: frame.left, y1: frame.bottom, x2: frame.right, y2: frame.top, stroke: "#777777",
                      width: 1.2, dash: "5 4")

        document.openGroup([("clip-path", "url(#scatter-area)")])
        for (index, entry) in series.enumerated() {
            let style = SeriesStyle.forSeries(index)
            for point in entry.points {
                guard let x = xAxis.position(of: point.x), let y = yAxis.position(of: point.y) else { continue }
                document.marker(style.marker, x: x, y: y, r: 3.5, fill: style.color, opacity: 0.75)
            }
        }
        document.closeGroup()

        let legendLeft = frame.right + 16
        for (index, name) in series.map(\.name).enumerated() {
            let style = SeriesStyle.forSeries(index)
            let y = frame.top + 10 + Double(index) * PlotLegend.rowHeight
            document.marker(style.marker, x: legendLeft + PlotLegend.sampleLength / 2, y: y, r: 3.5, fill: style.color)
            document.text(name, x: legendLeft + PlotLegend.sampleLength + 8, y: y + 4, size: PlotLegend.fontSize)
        }
        let diagonalY = frame.top + 10 + Double(series.count) * PlotLegend.rowHeight
        document.line(x1: legendLeft, y1: diagonalY, x2: legendLeft + PlotLegend.sampleLength, y2: diagonalY,
                      stroke: "#777777", width: 1.2, dash: "5 4")
        document.text(Self.diagonalLabel, x: legendLeft + PlotLegend.sampleLength + 8, y: diagonalY + 4,
                      size: PlotLegend.fontSize)
        return document.render()
    }
}
