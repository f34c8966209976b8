/// A grid of values in [0, 1] (accuracies, say: reward model by evaluation set), as a standalone SVG 1.1
/// document, with row and column labels, the value printed in each cell and a color-scale legend.
///
/// Values outside [0, 1] get the end colors but their printed value is the true one; NaN cells are grey
/// and print "n/a". Column labels sit above the grid; each column is as wide as its label needs (at
/// least 64 pixels), so labels never overlap.
///
/// Properties (tested): well-formed XML, deterministic, escaped labels, one cell rectangle and one value
/// per entry, NaN handled.
public struct SVGHeatMap: Sendable, Equatable {
    public var title: String
    public var rowLabels: [String]
    public var columnLabels: [String]
    /// values[row][column].
    public var values: [[Double]]
    public var colorScale: HeatMapColorScale
    /// Decimals of the printed values (fixed, since values live in [0, 1]: "0.022", "1.000").
    public var decimals: Int

    public init(title: String, rowLabels: [String], columnLabels: [String], values: [[Double]],
                colorScale: HeatMapColorScale = .chanceCentred, decimals: Int = 3)
    {
        precondition(values.count == rowLabels.count, "\(values.count) rows of values for \(rowLabels.count) row labels")
        for (index, row) in values.enumerated() {
            precondition(row.count == columnLabels.count,
                         "row \(index) has \(row.count) values for \(columnLabels.count) column labels")
        }
        self.title = title
        self.rowLabels = rowLabels
        self.columnLabels = columnLabels
        self.values = values
        self.colorScale = colorScale
        self.decimals = decimals
    }

    static let cellHeight = 40.0
    static let labelSize = 12.0

    /// The SVG document, ending with a newline.
    public func render() -> String {
        let rowLabelWidth = (rowLabels.map { SVGDocument.estimatedWidth(of: $0, size: Self.labelSize) }.max() ?? 0) + 16
        let columnWidths = columnLabels.map { max(64, SVGDocument.estimatedWidth(of: $0, size: Self.labelSize) + 12) }
        let left = max(rowLabelWidth, 20)
        let top = 64.0
        let gridWidth = columnWidths.reduce(0, +)
        let gridHeight = Double(rowLabels.count) * Self.cellHeight
        let legendLeft = left + gridWidth + 24
        let legendHeight = max(gridHeight, 120)
        let titleWidth = SVGDocument.estimatedWidth(of: title, size: 16) + 40
        let width = max(legendLeft + 70, titleWidth)
        var document = SVGDocument(width: width, height: top + legendHeight + 24)

        document.text(title, x: width / 2, y: 26, size: 16, anchor: .middle, bold: true)
        var columnStarts: [Double] = []
        var x = left
        for (column, label) in columnLabels.enumerated() {
            columnStarts.append(x)
            document.text(label, x: x + columnWidths[column] / 2, y: top - 10, size: Self.labelSize, anchor: .middle)
            x += columnWidths[column]
        }
        for (row, label) in rowLabels.enumerated() {
            let y = top + Double(row) * Self.cellHeight
            document.text(label, x: left - 8, y: y + Self.cellHeight / 2 + 4, size: Self.labelSize, anchor: .end)
            for column in columnLabels.indices {
                let value = values[row][column]
                let color = colorScale.color(at: value)
                document.rect(x: columnStarts[column], y: y, width: columnWidths[column], height: Self.cellHeight,
                              fill: color.hex, stroke: "#ffffff")
                let text = value.isNaN ? "n/a" : NumberFormat.fixed(value, decimals: decimals)
                document.text(text, x: columnStarts[column] + columnWidths[column] / 2, y: y + Self.cellHeight / 2 + 5,
                              size: 13, anchor: .middle, fill: HeatMapColorScale.textColor(on: color))
            }
        }

        // Color legend: a vertical bar, 1 at the top, with the anchors as gradient stops and as ticks.
        let stops = colorScale.anchors.enumerated().map { index, color -> String in
            let offset = 1 - Double(index) / Double(colorScale.anchors.count - 1)
            return "<stop offset=\"\(SVGDocument.number(offset))\" stop-color=\"\(color.hex)\"/>"
        }
        document.define("<linearGradient id=\"heat-scale\" x1=\"0\" y1=\"0\" x2=\"0\" y2=\"1\">"
            + stops.reversed().joined() + "</linearGradient>")
        let barWidth = 16.0
        document.rect(x: legendLeft, y: top, width: barWidth, height: legendHeight, fill: "url(#heat-scale)",
                      stroke: "#444444")
        let tickCount = colorScale.anchors.count
        for index in 0..<tickCount {
            let value = Double(index) / Double(tickCount - 1)
            let y = top + (1 - value) * legendHeight
            document.line(x1: legendLeft + barWidth, y1: y, x2: legendLeft + barWidth + 4, y2: y, stroke: "#444444")
            document.text(NumberFormat.fixed(value, decimals: 2), x: legendLeft + barWidth + 7, y: y + 4, size: 11)
        }
        return document.render()
    }
}
