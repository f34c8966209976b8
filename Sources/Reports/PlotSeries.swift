/// One point of a plotted series.
public struct PlotPoint: Sendable, Equatable {
    public let x: Double
    public let y: Double

    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }
}

/// A named series of points, drawn in the order given, and optionally the individual observations
/// behind it (`marks`, such as each seed's value when the points are means over seeds).
///
/// Points with a non-finite coordinate (NaN, infinity) are not drawn; in a line plot they break the
/// line into separate runs, so a gap in the data shows as a gap in the curve. An empty series still
/// gets its legend entry. Marks are drawn as small translucent markers of the series' colour and shape,
/// without a line, and count for the axis ranges; non-finite marks are skipped.
public struct PlotSeries: Sendable, Equatable {
    public let name: String
    public let points: [PlotPoint]
    public let marks: [PlotPoint]

    public init(name: String, points: [PlotPoint], marks: [PlotPoint] = []) {
        self.name = name
        self.points = points
        self.marks = marks
    }

    /// A series from parallel arrays of x and y values.
    public init(name: String, x: [Double], y: [Double], marks: [PlotPoint] = []) {
        precondition(x.count == y.count, "series \"\(name)\" has \(x.count) x values and \(y.count) y values")
        self.init(name: name, points: zip(x, y).map { PlotPoint(x: $0, y: $1) }, marks: marks)
    }
}

/// A horizontal line across the plot at a fixed y, such as chance accuracy 0.5.
public struct ReferenceLine: Sendable, Equatable {
    public let y: Double
    public let label: String

    public init(y: Double, label: String) {
        self.y = y
        self.label = label
    }
}

/// The visual identity of the i-th series: a color from a colour-blind-safe palette (Okabe and Ito,
/// 2008) and a dash pattern, both cycling, so that series stay distinguishable in grey-scale print too.
public struct SeriesStyle: Sendable, Equatable {
    public let color: String
    /// An SVG `stroke-dasharray`, nil for a solid line.
    public let dash: String?
    public let marker: Marker

    /// Point markers, cycling with the series index.
    public enum Marker: Sendable, Equatable, CaseIterable {
        case circle, square, triangle, diamond
    }

    static let palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]
    static let dashes: [String?] = [nil, "7 4", "2 3", "9 3 2 3", "4 2"]

    /// The style of series number `index` (0-based). Color and dash cycle with coprime periods (7 and 5),
    /// so the first 35 series all differ in at least one of the two.
    public static func forSeries(_ index: Int) -> SeriesStyle {
        SeriesStyle(
            color: palette[index % palette.count],
            dash: dashes[index % dashes.count],
            marker: Marker.allCases[index % Marker.allCases.count])
    }
}

extension SVGDocument {
    /// Draws one marker of `style` centred at (x, y) with radius `r`.
    mutating func marker(_ marker: SeriesStyle.Marker, x: Double, y: Double, r: Double, fill: String,
                         opacity: Double = 1)
    {
        let extra: [(String, String)] = opacity < 1 ? [("fill-opacity", SVGDocument.number(opacity))] : []
        switch marker {
        case .circle:
            circle(cx: x, cy: y, r: r, fill: fill, extra: extra)
        case .square:
            let side = r * 1.7
            rect(x: x - side / 2, y: y - side / 2, width: side, height: side, fill: fill, extra: extra)
        case .triangle:
            let s = r * 1.3
            polygon(points: [(x, y - s), (x + s, y + s * 0.8), (x - s, y + s * 0.8)], attributes: [("fill", fill)] + extra)
        case .diamond:
            let s = r * 1.35
            polygon(points: [(x, y - s), (x + s, y), (x, y + s), (x - s, y)], attributes: [("fill", fill)] + extra)
        }
    }
}
