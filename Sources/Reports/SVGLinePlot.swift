/// A line plot of several named series, as a standalone SVG 1.1 document: training curves of accuracy
/// or margin against steps.
///
/// Layout: title on top, plot frame with light grid lines at the ticks, tick labels, axis labels, and a
/// legend to the right of the frame with one entry per series (color, dash pattern and marker of that
/// series). Horizontal reference lines (chance accuracy 0.5) are drawn dashed grey with their label. A
/// series' `marks` (per-seed values behind a mean) are drawn first, small and translucent, in its style.
///
/// Properties (tested): the output parses as XML with an `svg` root in the SVG namespace; the same plot
/// renders to the same string; text is escaped; non-finite points are skipped (breaking the line) and
/// empty series or plots render without crashing; no coordinate is ever NaN or infinite.
public struct SVGLinePlot: Sendable, Equatable {
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [PlotSeries]
    public var xScale: AxisScale
    /// Fixed y range (e.g. 0 ... 1 for accuracy); nil fits the data. Lines are clipped to the frame.
    public var yRange: ClosedRange<Double>?
    /// Linear by default; logarithmic for quantities that span decades (errors).
    public var yScale: AxisScale
    public var referenceLines: [ReferenceLine]
    /// Draw a marker at every point; nil draws them when no series has more than 60 points.
    public var showsMarkers: Bool?
    public var width: Double
    public var height: Double

    public init(title: String, xLabel: String, yLabel: String, series: [PlotSeries] = [],
                xScale: AxisScale = .linear, yRange: ClosedRange<Double>? = nil,
                referenceLines: [ReferenceLine] = [], showsMarkers: Bool? = nil,
                width: Double = 720, height: Double = 440, yScale: AxisScale = .linear)
    {
        precondition(width >= 200 && height >= 150, "plot must be at least 200 x 150 pixels, got \(width) x \(height)")
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
        self.xScale = xScale
        self.yRange = yRange
        self.yScale = yScale
        self.referenceLines = referenceLines
        self.showsMarkers = showsMarkers
        self.width = width
        self.height = height
    }

    /// The SVG document, ending with a newline.
    public func render() -> String {
        var document = SVGDocument(width: width, height: height)
        let legend = PlotLegend(names: series.map(\.name))
        let frame = PlotFrame(
            left: 70, top: 44, right: width - 16 - legend.width, bottom: height - 56)
        let xAxis = PlotAxis(
            values: series.flatMap { ($0.points + $0.marks).map(\.x) }, scale: xScale, fixedRange: nil,
            pixelStart: frame.left, pixelEnd: frame.right, targetTickCount: 7)
        let yAxis = PlotAxis(
            values: series.flatMap { ($0.points + $0.marks).map(\.y) } + referenceLines.map(\.y), scale: yScale,
            fixedRange: yRange, pixelStart: frame.bottom, pixelEnd: frame.top, targetTickCount: 6)

        frame.drawBackground(title: title, xLabel: xLabel, yLabel: yLabel, xAxis: xAxis, yAxis: yAxis,
                             into: &document)
        frame.defineClip(id: "plot-area", into: &document)

        for line in referenceLines {
            guard let y = yAxis.position(of: line.y), yAxis.contains(line.y) else { continue }
            document.line(x1: frame.left, y1: y, x2: frame.right, y2: y, stroke: "#777777", width: 1.2, dash: "5 4")
            document.text(line.label, x: frame.right - 4, y: y - 4, size: 11, anchor: .end, fill: "#555555")
        }

        let markers = showsMarkers ?? series.allSatisfy { $0.points.count <= 60 }
        for (index, entry) in series.enumerated() where !entry.marks.isEmpty {
            let style = SeriesStyle.forSeries(index)
            document.openGroup([("clip-path", "url(#plot-area)")])
            for mark in entry.marks {
                guard let x = xAxis.position(of: mark.x), let y = yAxis.position(of: mark.y) else { continue }
                document.marker(style.marker, x: x, y: y, r: 2.5, fill: style.color, opacity: 0.45)
            }
            document.closeGroup()
        }
        for (index, entry) in series.enumerated() {
            let style = SeriesStyle.forSeries(index)
            var runs: [[(x: Double, y: Double)]] = [[]]
            for point in entry.points {
                if let x = xAxis.position(of: point.x), let y = yAxis.position(of: point.y) {
                    runs[runs.count - 1].append((x, y))
                } else if !runs[runs.count - 1].isEmpty {
                    runs.append([])
                }
            }
            var attributes: [(String, String)] = [
                ("fill", "none"), ("stroke", style.color), ("stroke-width", "2"), ("stroke-linejoin", "round"),
                ("clip-path", "url(#plot-area)"),
            ]
            if let dash = style.dash { attributes.append(("stroke-dasharray", dash)) }
            document.path(runs: runs, attributes: attributes)
            if markers {
                document.openGroup([("clip-path", "url(#plot-area)")])
                for run in runs {
                    for point in run { document.marker(style.marker, x: point.x, y: point.y, r: 3, fill: style.color) }
                }
                document.closeGroup()
            }
        }
        legend.draw(at: frame.right + 16, top: frame.top, showsMarkers: markers, into: &document)
        return document.render()
    }
}

/// The rectangle the data is drawn in, and the furniture around it (grid, ticks, labels, title).
struct PlotFrame {
    let left: Double
    let top: Double
    let right: Double
    let bottom: Double

    var width: Double { right - left }
    var height: Double { bottom - top }

    func defineClip(id: String, into document: inout SVGDocument) {
        // A few pixels of slack so markers on the frame are not cut in half.
        let slack = 5.0
        document.define(
            "<clipPath id=\"\(id)\"><rect x=\"\(SVGDocument.number(left - slack))\" y=\"\(SVGDocument.number(top - slack))\" "
                + "width=\"\(SVGDocument.number(width + 2 * slack))\" height=\"\(SVGDocument.number(height + 2 * slack))\"/></clipPath>")
    }

    /// Draws the title (centred on the whole document, so a long title is not cut at the left edge),
    /// grid, ticks, frame, axis break and axis labels.
    func drawBackground(title: String, xLabel: String, yLabel: String, xAxis: PlotAxis, yAxis: PlotAxis,
                        into document: inout SVGDocument)
    {
        document.text(title, x: document.width / 2, y: 26, size: 16, anchor: .middle, bold: true)
        for tick in xAxis.ticks {
            guard let x = xAxis.position(of: tick.value) else { continue }
            document.line(x1: x, y1: top, x2: x, y2: bottom, stroke: "#e6e6e6")
            document.line(x1: x, y1: bottom, x2: x, y2: bottom + 5, stroke: "#444444")
            document.text(tick.label, x: x, y: bottom + 19, size: 11, anchor: .middle)
        }
        for tick in yAxis.ticks {
            guard let y = yAxis.position(of: tick.value) else { continue }
            document.line(x1: left, y1: y, x2: right, y2: y, stroke: "#e6e6e6")
            document.line(x1: left - 5, y1: y, x2: left, y2: y, stroke: "#444444")
            document.text(tick.label, x: left - 8, y: y + 4, size: 11, anchor: .end)
        }
        document.rect(x: left, y: top, width: width, height: height, fill: "none", stroke: "#444444")
        if let breakValue = xAxis.breakValue, let x = xAxis.position(of: breakValue) {
            // The axis break: a white gap in the bottom edge with two slanted strokes.
            document.rect(x: x - 3, y: bottom - 4, width: 6, height: 8, fill: "#ffffff")
            document.line(x1: x - 5, y1: bottom + 5, x2: x - 1, y2: bottom - 5, stroke: "#444444")
            document.line(x1: x + 1, y1: bottom + 5, x2: x + 5, y2: bottom - 5, stroke: "#444444")
        }
        document.text(xLabel, x: (left + right) / 2, y: bottom + 42, size: 13, anchor: .middle)
        let yMiddle = (top + bottom) / 2
        document.text(yLabel, x: 20, y: yMiddle, size: 13, anchor: .middle, rotation: -90)
    }
}

/// The legend beside the frame: one row per series, sample line (and marker) then the name.
struct PlotLegend {
    let names: [String]
    static let fontSize = 12.0
    static let rowHeight = 20.0
    static let sampleLength = 28.0

    /// Width reserved to the right of the frame; zero when there is nothing to list.
    var width: Double {
        guard !names.isEmpty else { return 0 }
        let longest = names.map { SVGDocument.estimatedWidth(of: $0, size: Self.fontSize) }.max() ?? 0
        return Self.sampleLength + 8 + min(longest, 240) + 8
    }

    func draw(at left: Double, top: Double, showsMarkers: Bool, into document: inout SVGDocument) {
        for (index, name) in names.enumerated() {
            let style = SeriesStyle.forSeries(index)
            let y = top + 10 + Double(index) * Self.rowHeight
            document.line(x1: left, y1: y, x2: left + Self.sampleLength, y2: y, stroke: style.color, width: 2,
                          dash: style.dash)
            if showsMarkers {
                document.marker(style.marker, x: left + Self.sampleLength / 2, y: y, r: 3, fill: style.color)
            }
            document.text(name, x: left + Self.sampleLength + 8, y: y + 4, size: Self.fontSize)
        }
    }
}
