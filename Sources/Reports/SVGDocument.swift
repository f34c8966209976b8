/// A minimal writer of standalone SVG 1.1 documents, shared by the plots.
///
/// Every coordinate passes through `NumberFormat.coordinate` (two decimals, no locale) and every piece
/// of text or attribute value through `SVGDocument.escape`, so the output is well-formed XML and the
/// same input always gives the same bytes. Elements are appended in order; nothing is sorted or hashed.
struct SVGDocument {
    let width: Double
    let height: Double
    private var definitions: [String] = []
    private var elements: [String] = []

    static let fontFamily = "DejaVu Sans, Helvetica, Arial, sans-serif"

    init(width: Double, height: Double) {
        self.width = width
        self.height = height
    }

    /// `&`, `<`, `>`, `"` and `'` as entities, for both text nodes and attribute values. Control
    /// characters that XML 1.0 forbids are dropped.
    static func escape(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&apos;"
            case "\t", "\n", "\r": result.unicodeScalars.append(scalar)
            default:
                if scalar.value >= 0x20 && scalar.value != 0xFFFE && scalar.value != 0xFFFF {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result
    }

    static func number(_ value: Double) -> String {
        NumberFormat.coordinate(value)
    }

    /// ` name="value"` pairs in the given order.
    private static func attributes(_ pairs: [(String, String)]) -> String {
        pairs.map { " \($0.0)=\"\(escape($0.1))\"" }.joined()
    }

    mutating func define(_ raw: String) {
        definitions.append(raw)
    }

    mutating func raw(_ element: String) {
        elements.append(element)
    }

    mutating func line(x1: Double, y1: Double, x2: Double, y2: Double, stroke: String, width: Double = 1,
                       dash: String? = nil, extra: [(String, String)] = [])
    {
        var pairs: [(String, String)] = [
            ("x1", Self.number(x1)), ("y1", Self.number(y1)), ("x2", Self.number(x2)), ("y2", Self.number(y2)),
            ("stroke", stroke), ("stroke-width", Self.number(width)),
        ]
        if let dash { pairs.append(("stroke-dasharray", dash)) }
        elements.append("<line\(Self.attributes(pairs + extra))/>")
    }

    mutating func rect(x: Double, y: Double, width: Double, height: Double, fill: String, stroke: String? = nil,
                       extra: [(String, String)] = [])
    {
        var pairs: [(String, String)] = [
            ("x", Self.number(x)), ("y", Self.number(y)), ("width", Self.number(width)),
            ("height", Self.number(height)), ("fill", fill),
        ]
        if let stroke { pairs.append(("stroke", stroke)) }
        elements.append("<rect\(Self.attributes(pairs + extra))/>")
    }

    mutating func circle(cx: Double, cy: Double, r: Double, fill: String, stroke: String? = nil,
                         extra: [(String, String)] = [])
    {
        var pairs: [(String, String)] = [
            ("cx", Self.number(cx)), ("cy", Self.number(cy)), ("r", Self.number(r)), ("fill", fill),
        ]
        if let stroke { pairs.append(("stroke", stroke)) }
        elements.append("<circle\(Self.attributes(pairs + extra))/>")
    }

    /// A path from a list of polylines: each inner array is one unbroken run of points ("M ... L ...").
    mutating func path(runs: [[(x: Double, y: Double)]], attributes: [(String, String)]) {
        var commands: [String] = []
        for run in runs where !run.isEmpty {
            for (index, point) in run.enumerated() {
                commands.append((index == 0 ? "M" : "L") + Self.number(point.x) + " " + Self.number(point.y))
            }
        }
        guard !commands.isEmpty else { return }
        elements.append("<path\(Self.attributes([("d", commands.joined(separator: " "))] + attributes))/>")
    }

    /// A closed polygon (markers: squares, triangles, diamonds).
    mutating func polygon(points: [(x: Double, y: Double)], attributes: [(String, String)]) {
        let list = points.map { Self.number($0.x) + "," + Self.number($0.y) }.joined(separator: " ")
        elements.append("<polygon\(Self.attributes([("points", list)] + attributes))/>")
    }

    enum Anchor: String {
        case start, middle, end
    }

    mutating func text(_ string: String, x: Double, y: Double, size: Double = 12, anchor: Anchor = .start,
                       fill: String = "#222222", bold: Bool = false, rotation: Double? = nil)
    {
        var pairs: [(String, String)] = [
            ("x", Self.number(x)), ("y", Self.number(y)), ("font-size", Self.number(size)),
            ("text-anchor", anchor.rawValue), ("fill", fill),
        ]
        if bold { pairs.append(("font-weight", "bold")) }
        if let rotation {
            pairs.append(("transform", "rotate(\(Self.number(rotation)) \(Self.number(x)) \(Self.number(y)))"))
        }
        elements.append("<text\(Self.attributes(pairs))>\(Self.escape(string))</text>")
    }

    mutating func openGroup(_ attributes: [(String, String)]) {
        elements.append("<g\(Self.attributes(attributes))>")
    }

    mutating func closeGroup() {
        elements.append("</g>")
    }

    /// The whole document, XML declaration first, ending with a newline.
    func render() -> String {
        var lines = [
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>",
            "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"\(Self.number(width))\" "
                + "height=\"\(Self.number(height))\" viewBox=\"0 0 \(Self.number(width)) \(Self.number(height))\" "
                + "font-family=\"\(Self.escape(Self.fontFamily))\">",
        ]
        if !definitions.isEmpty {
            lines.append("<defs>")
            lines += definitions
            lines.append("</defs>")
        }
        lines.append("<rect x=\"0\" y=\"0\" width=\"\(Self.number(width))\" height=\"\(Self.number(height))\" fill=\"#ffffff\"/>")
        lines += elements
        lines.append("</svg>")
        return lines.joined(separator: "\n") + "\n"
    }

    /// A rough width of `text` at `size` pixels, for laying out legends and margins without a font
    /// engine: 0.6 em per character, generous for DejaVu Sans so that labels do not overlap.
    static func estimatedWidth(of text: String, size: Double) -> Double {
        Double(text.count) * size * 0.6
    }
}
