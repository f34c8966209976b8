/// One bar of a stacked bar plot: its label under the axis, and the group it belongs to (consecutive
/// bars with the same group are drawn together, with a gap and the group's label beneath them).
public struct BarCategory: Sendable, Equatable {
    public let label: String
    public let group: String?

    public init(label: String, group: String? = nil) {
        self.label = label
        self.group = group
    }
}

/// One stacked component: its value in every bar, in category order.
public struct BarSeries: Sendable, Equatable {
    public let name: String
    public let values: [Double]

    public init(name: String, values: [Double]) {
        self.name = name
        self.values = values
    }
}

/// A diverging stacked bar plot, as a standalone SVG 1.1 document: the parts of a quantity (a margin
/// change split by mechanism) per bar, positive parts stacked upward from 0 and negative ones downward,
/// so a part that pushed the other way is visible instead of being netted out. An optional marker shows
/// each bar's net sum.
///
/// Layout: title on top, frame with horizontal grid lines at the y ticks and a solid line at 0, bar
/// labels under the frame and group labels under those, legend to the right (a swatch per series, then
/// the net marker).
///
/// Properties (tested): well-formed XML with an `svg` root; deterministic; text escaped; within a bar
/// positive segments tile [0, sum of positives] and negative ones [sum of negatives, 0] without
/// overlapping; non-finite values are not drawn (no NaN coordinate ever); empty input renders a frame.
public struct SVGStackedBarPlot: Sendable, Equatable {
    public var title: String
    public var yLabel: String
    public var categories: [BarCategory]
    public var series: [BarSeries]
    /// Fixed y range (e.g. -1 ... 1 for shares); nil fits the stacked extents. Bars are clipped to the frame.
    public var yRange: ClosedRange<Double>?
    /// Draw a black diamond at each bar's net sum (the finite values added up).
    public var showsNet: Bool
    public var netLabel: String
    public var height: Double

    public init(title: String, yLabel: String, categories: [BarCategory], series: [BarSeries],
                yRange: ClosedRange<Double>? = nil, showsNet: Bool = true, netLabel: String = "net",
                height: Double = 440)
    {
        for entry in series {
            precondition(entry.values.count == categories.count,
                         "series \"\(entry.name)\" has \(entry.values.count) values for \(categories.count) bars")
        }
        precondition(height >= 150, "plot must be at least 150 pixels high, got \(height)")
        self.title = title
        self.yLabel = yLabel
        self.categories = categories
        self.series = series
        self.yRange = yRange
        self.showsNet = showsNet
        self.netLabel = netLabel
        self.height = height
    }

    static let slotWidth = 30.0
    static let groupGap = 18.0
    static let barFraction = 0.72

    /// The stacked extent of bar `index`: (sum of negative values, sum of positive values), finite ones only.
    func extent(of index: Int) -> (lower: Double, upper: Double) {
        var lower = 0.0
        var upper = 0.0
        for entry in series {
            let value = entry.values[index]
            guard value.isFinite else { continue }
            if value >= 0 { upper += value } else { lower += value }
        }
        return (lower, upper)
    }

    /// The x centre of each bar, in pixels from the frame's left edge.
    func barCentres() -> [Double] {
        var centres: [Double] = []
        var x = Self.slotWidth / 2
        for (index, category) in categories.enumerated() {
            if index > 0 && category.group != categories[index - 1].group { x += Self.groupGap }
            centres.append(x)
            x += Self.slotWidth
        }
        return centres
    }

    /// The SVG document, ending with a newline.
    public func render() -> String {
        let names = series.map(\.name) + (showsNet ? [netLabel] : [])
        let longest = names.map { SVGDocument.estimatedWidth(of: $0, size: 12) }.max() ?? 0
        let legendWidth = names.isEmpty ? 0 : 16 + 8 + min(longest, 240) + 8
        let centres = barCentres()
        let plotWidth = max(240, (centres.last ?? 0) + Self.slotWidth / 2)
        let frameLeft = 70.0
        let frameRight = frameLeft + plotWidth
        let width = frameRight + 16 + legendWidth + 8
        let hasGroups = categories.contains { $0.group != nil }
        let frameTop = 44.0
        let frameBottom = height - (hasGroups ? 70 : 52)
        var document = SVGDocument(width: width, height: height)

        let extents = categories.indices.map(extent(of:))
        let yAxis = PlotAxis(values: extents.flatMap { [$0.lower, $0.upper] } + [0], scale: .linear, fixedRange: yRange,
                             pixelStart: frameBottom, pixelEnd: frameTop, targetTickCount: 6)

        document.text(title, x: width / 2, y: 26, size: 16, anchor: .middle, bold: true)
        for tick in yAxis.ticks {
            guard let y = yAxis.position(of: tick.value) else { continue }
            document.line(x1: frameLeft, y1: y, x2: frameRight, y2: y, stroke: "#e6e6e6")
            document.line(x1: frameLeft - 5, y1: y, x2: frameLeft, y2: y, stroke: "#444444")
            document.text(tick.label, x: frameLeft - 8, y: y + 4, size: 11, anchor: .end)
        }
        document.text(yLabel, x: 20, y: (frameTop + frameBottom) / 2, size: 13, anchor: .middle, rotation: -90)
        let clip = PlotFrame(left: frameLeft, top: frameTop, right: frameRight, bottom: frameBottom)
        clip.defineClip(id: "bar-area", into: &document)

        document.openGroup([("clip-path", "url(#bar-area)")])
        let barWidth = Self.slotWidth * Self.barFraction
        for index in categories.indices {
            let left = frameLeft + centres[index] - barWidth / 2
            var upper = 0.0
            var lower = 0.0
            for (seriesIndex, entry) in series.enumerated() {
                let value = entry.values[index]
                guard value.isFinite, value != 0 else { continue }
                let start = value > 0 ? upper : lower + value
                let end = value > 0 ? upper + value : lower
                if value > 0 { upper += value } else { lower += value }
                guard let y0 = yAxis.position(of: end), let y1 = yAxis.position(of: start) else { continue }
                document.rect(x: left, y: y0, width: barWidth, height: max(0, y1 - y0),
                              fill: SeriesStyle.forSeries(seriesIndex).color, stroke: "#ffffff",
                              extra: [("stroke-width", "0.5")])
            }
        }
        if let zero = yAxis.position(of: 0), yAxis.contains(0) {
            document.line(x1: frameLeft, y1: zero, x2: frameRight, y2: zero, stroke: "#222222", width: 1.2)
        }
        if showsNet {
            for index in categories.indices {
                let net = series.reduce(0.0) { $0 + ($1.values[index].isFinite ? $1.values[index] : 0) }
                guard let y = yAxis.position(of: net) else { continue }
                document.marker(.diamond, x: frameLeft + centres[index], y: y, r: 3.5, fill: "#000000")
            }
        }
        document.closeGroup()
        document.rect(x: frameLeft, y: frameTop, width: plotWidth, height: frameBottom - frameTop, fill: "none",
                      stroke: "#444444")

        for (index, category) in categories.enumerated() {
            document.text(category.label, x: frameLeft + centres[index], y: frameBottom + 16, size: 10, anchor: .middle)
        }
        if hasGroups {
            var start = 0
            while start < categories.count {
                var end = start
                while end + 1 < categories.count && categories[end + 1].group == categories[start].group { end += 1 }
                if let group = categories[start].group {
                    let middle = frameLeft + (centres[start] + centres[end]) / 2
                    document.text(group, x: middle, y: frameBottom + 36, size: 12, anchor: .middle, bold: true)
                    document.line(x1: frameLeft + centres[start] - barWidth / 2, y1: frameBottom + 22,
                                  x2: frameLeft + centres[end] + barWidth / 2, y2: frameBottom + 22, stroke: "#999999")
                }
                start = end + 1
            }
        }

        let legendLeft = frameRight + 16
        for (index, entry) in series.enumerated() {
            let y = frameTop + 10 + Double(index) * PlotLegend.rowHeight
            document.rect(x: legendLeft, y: y - 6, width: 16, height: 12, fill: SeriesStyle.forSeries(index).color)
            document.text(entry.name, x: legendLeft + 24, y: y + 4, size: PlotLegend.fontSize)
        }
        if showsNet {
            let y = frameTop + 10 + Double(series.count) * PlotLegend.rowHeight
            document.marker(.diamond, x: legendLeft + 8, y: y, r: 3.5, fill: "#000000")
            document.text(netLabel, x: legendLeft + 24, y: y + 4, size: PlotLegend.fontSize)
        }
        return document.render()
    }
}
