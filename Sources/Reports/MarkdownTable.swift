/// How a table column's cells line up.
public enum ColumnAlignment: Sendable, Equatable {
    case left, center, right

    /// The separator-row cell for this alignment, `width` characters wide (at least 3).
    fileprivate func separator(width: Int) -> String {
        let width = max(width, 3)
        switch self {
        case .left: return ":" + String(repeating: "-", count: width - 1)
        case .right: return String(repeating: "-", count: width - 1) + ":"
        case .center: return ":" + String(repeating: "-", count: width - 2) + ":"
        }
    }
}

/// A GitHub-flavoured markdown table whose source is padded into aligned columns, so that the raw
/// `.md` file reads as a table too and diffs of golden files stay local to the changed cells.
///
/// Cells are plain text: a `|` is escaped as `\|` and a line break becomes a space, so no cell can break
/// the table's structure. Numbers should be formatted with `MarkdownTable.number(_:digits:)` (fixed
/// significant digits, locale-independent) before they become cells.
public struct MarkdownTable: Sendable, Equatable {
    public let headers: [String]
    public let alignments: [ColumnAlignment]
    public private(set) var rows: [[String]] = []

    /// A table with these column headers. `alignments` defaults to the first column left (labels) and the
    /// others right (numbers).
    public init(headers: [String], alignments: [ColumnAlignment]? = nil) {
        precondition(!headers.isEmpty, "a table needs at least one column")
        let chosen = alignments ?? [.left] + [ColumnAlignment](repeating: .right, count: headers.count - 1)
        precondition(chosen.count == headers.count,
                     "\(chosen.count) alignments for \(headers.count) columns")
        self.headers = headers
        self.alignments = chosen
    }

    /// Appends a row; it must have one cell per column.
    public mutating func addRow(_ cells: [String]) {
        precondition(cells.count == headers.count, "row has \(cells.count) cells, the table has \(headers.count) columns")
        rows.append(cells)
    }

    /// Appends a row of a label followed by numbers, each with `digits` significant digits.
    public mutating func addRow(_ label: String, numbers: [Double], digits: Int = 3) {
        addRow([label] + numbers.map { Self.number($0, digits: digits) })
    }

    /// The cell text for a number: `digits` significant digits, no locale ("0.993", "1.000e-7", "NaN").
    public static func number(_ value: Double, digits: Int = 3) -> String {
        NumberFormat.significant(value, digits: digits)
    }

    /// The table's markdown source, ending with a newline.
    public func render() -> String {
        let escapedHeaders = headers.map(Self.escape)
        let escapedRows = rows.map { $0.map(Self.escape) }
        var widths = escapedHeaders.map { max($0.count, 3) }
        for row in escapedRows {
            for (column, cell) in row.enumerated() { widths[column] = max(widths[column], cell.count) }
        }
        var lines = [line(escapedHeaders, widths: widths)]
        lines.append("| " + zip(alignments, widths).map { $0.separator(width: $1) }.joined(separator: " | ") + " |")
        for row in escapedRows { lines.append(line(row, widths: widths)) }
        return lines.joined(separator: "\n") + "\n"
    }

    private func line(_ cells: [String], widths: [Int]) -> String {
        var padded: [String] = []
        for (column, cell) in cells.enumerated() {
            let gap = widths[column] - cell.count
            switch alignments[column] {
            case .left:
                padded.append(cell + String(repeating: " ", count: gap))
            case .right:
                padded.append(String(repeating: " ", count: gap) + cell)
            case .center:
                let before = gap / 2
                padded.append(String(repeating: " ", count: before) + cell + String(repeating: " ", count: gap - before))
            }
        }
        return "| " + padded.joined(separator: " | ") + " |"
    }

    /// `|` -> `\|`, line breaks -> one space.
    static func escape(_ cell: String) -> String {
        var result = ""
        for character in cell {
            switch character {
            case "|": result += "\\|"
            case "\n", "\r", "\r\n": result += " "
            default: result.append(character)
            }
        }
        return result
    }
}
