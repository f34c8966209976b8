import Foundation
import ShiftAnalysis

/// The per-pair table of `theorycheck analyze --pairs FILE`: one row per evaluation pair
/// (`PairPrediction`), as JSON Lines (`.jsonl`: one object per line, keys in column order) or CSV
/// (`.csv`: a header row, RFC 4180 quoting, empty cells for null).
///
/// Columns, in order (figures per unit learning rate where they say "first step"):
///
/// | column | meaning |
/// |---|---|
/// | `set`, `index` | evaluation set and the pair's 0-based position in it |
/// | `chosen_id`, `rejected_id` | the two sequence ids (exported: `<set>/<row>/chosen`) |
/// | `source_row`, `source_line` | the pair's row and line in its data file (exported instances; else null) |
/// | `response_tokens`, `unseen_tokens` | response positions of both sides, and those holding a token no training response has |
/// | `token_novelty`, `novelty_bin` | their ratio, and its `TokenNoveltyBin` ("0", "(0, 0.25]", ..., "1") |
/// | `u_star_inner_product`, `u_star_cosine` | <u*, zbar> and cos(u*, zbar); null when not separable |
/// | `ex_rm_long_run_winner` | Theorem 2's EX-RM winner: chosen, rejected or tie by the sign of <u*, zbar> |
/// | `ex_rm_first_step` | the EX-RM's first-step margin change, (1/n) sum_i s_i <zbar, z_i> |
/// | `im_rm_identity`, `im_rm_competition` | Eq. 5's token-identity part I and competition part C of the IM-RM's first-step margin change |
/// | `im_rm_first_step`, `im_rm_identity_share` | I + C, and |I| / (|I| + |C|) (null when both are 0) |
/// | `ex_rm_margin`, `ex_rm_winner`, `im_rm_margin`, `im_rm_winner` | each model's margin r+ - r- and winner after T steps (`--steps`; else null) |
/// | `ex_rm_margin_halfway`, `im_rm_margin_halfway` | the margins at the halfway step |
///
/// Numbers are written in Swift's shortest round-tripping form, so `parse(render(x))` gives back every
/// value bit for bit (tested).
public enum PairTable {
    public enum Format: String, Sendable, CaseIterable {
        case jsonl
        case csv

        /// The format a path's extension names (.jsonl or .csv, any case), or nil.
        public init?(path: String) {
            switch URL(fileURLWithPath: path).pathExtension.lowercased() {
            case "jsonl": self = .jsonl
            case "csv": self = .csv
            default: return nil
            }
        }
    }

    /// One cell.
    public enum Value: Equatable, Sendable {
        case text(String)
        case number(Double)
        case null
    }

    public enum Kind: Sendable {
        case text
        case number
    }

    public static let columns: [(name: String, kind: Kind)] = [
        ("set", .text), ("index", .number), ("chosen_id", .text), ("rejected_id", .text),
        ("source_row", .number), ("source_line", .number), ("response_tokens", .number), ("unseen_tokens", .number),
        ("token_novelty", .number), ("novelty_bin", .text), ("u_star_inner_product", .number),
        ("u_star_cosine", .number), ("ex_rm_long_run_winner", .text), ("ex_rm_first_step", .number),
        ("im_rm_identity", .number), ("im_rm_competition", .number), ("im_rm_first_step", .number),
        ("im_rm_identity_share", .number), ("ex_rm_margin", .number), ("ex_rm_winner", .text),
        ("im_rm_margin", .number), ("im_rm_winner", .text), ("ex_rm_margin_halfway", .number),
        ("im_rm_margin_halfway", .number),
    ]

    /// The cells of one pair, in column order.
    public static func row(_ pair: PairPrediction) -> [Value] {
        func number(_ value: Double?) -> Value { value.map { .number($0) } ?? .null }
        func integer(_ value: Int?) -> Value { value.map { .number(Double($0)) } ?? .null }
        func text(_ value: String?) -> Value { value.map { .text($0) } ?? .null }
        let trained = pair.trained
        return [
            .text(pair.set), integer(pair.index), .text(pair.pair.chosen), .text(pair.pair.rejected),
            integer(pair.source?.row), integer(pair.source?.line), integer(pair.responseTokens),
            integer(pair.unseenTokens), number(pair.tokenNovelty), .text(pair.noveltyBin.label),
            number(pair.separatorInnerProduct), number(pair.separatorCosine), text(pair.explicitLongRunWinner?.rawValue),
            number(pair.explicitFirstStep), number(pair.identity), number(pair.competition),
            number(pair.implicitFirstStep), number(pair.identityShare), number(trained?.explicitMargin),
            text(trained?.explicitWinner.rawValue), number(trained?.implicitMargin), text(trained?.implicitWinner.rawValue),
            number(trained?.explicitMarginAtHalfway), number(trained?.implicitMarginAtHalfway),
        ]
    }

    /// The whole table as text in `format` (ending in a newline).
    public static func render(_ pairs: [PairPrediction], format: Format) -> String {
        var lines: [String] = []
        switch format {
        case .jsonl:
            for pair in pairs {
                let members = zip(columns, row(pair)).map { column, value in "\(quotedJSON(column.name)):\(json(value))" }
                lines.append("{" + members.joined(separator: ",") + "}")
            }
        case .csv:
            lines.append(columns.map(\.name).joined(separator: ","))
            for pair in pairs { lines.append(row(pair).map(csv).joined(separator: ",")) }
        }
        return lines.map { $0 + "\n" }.joined()
    }

    /// A table read back: rows of cells in column order. Throws `PairTableError` for a row that does not
    /// have the columns above.
    public static func parse(_ text: String, format: Format) throws -> [[Value]] {
        switch format {
        case .jsonl:
            // JSONDecoder, not JSONSerialization: the latter misrounds some doubles on Linux.
            return try text.split(separator: "\n").enumerated().map { number, line in
                guard let object = try? JSONDecoder().decode([String: JSONCell].self, from: Data(line.utf8)) else {
                    throw PairTableError(line: number + 1, problem: "not a JSON object of strings, numbers and nulls")
                }
                return try columns.map { column in
                    guard let value = object[column.name] else {
                        throw PairTableError(line: number + 1, problem: "no \(column.name)")
                    }
                    switch (column.kind, value) {
                    case (_, .null): return .null
                    case (.text, .text(let string)): return .text(string)
                    case (.number, .number(let number)): return .number(number)
                    default:
                        throw PairTableError(line: number + 1, problem: "\(column.name) has the wrong type")
                    }
                }
            }
        case .csv:
            let records = try csvRecords(text)
            guard let header = records.first, header == columns.map(\.name) else {
                throw PairTableError(line: 1, problem: "the header is not \(columns.map(\.name).joined(separator: ","))")
            }
            return try records.dropFirst().enumerated().map { number, cells in
                guard cells.count == columns.count else {
                    throw PairTableError(line: number + 2, problem: "\(cells.count) cells, expected \(columns.count)")
                }
                return try zip(columns, cells).map { column, cell in
                    if cell.isEmpty { return .null }
                    switch column.kind {
                    case .text: return .text(cell)
                    case .number:
                        guard let value = Double(cell) else {
                            throw PairTableError(line: number + 2, problem: "\(column.name) is not a number: \(cell)")
                        }
                        return .number(value)
                    }
                }
            }
        }
    }

    private static func json(_ value: Value) -> String {
        switch value {
        case .null: return "null"
        case .text(let string): return quotedJSON(string)
        case .number(let number): return numberText(number)
        }
    }

    private static func csv(_ value: Value) -> String {
        switch value {
        case .null: return ""
        case .number(let number): return numberText(number)
        case .text(let string):
            let needsQuotes = string.contains { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" } || string.isEmpty
            return needsQuotes ? "\"" + string.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : string
        }
    }

    /// Integral values without a fraction ("3", not "3.0"); others in the shortest round-tripping form.
    private static func numberText(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int(value)) }
        return "\(value)"
    }

    private static func quotedJSON(_ string: String) -> String {
        let data = (try? JSONEncoder().encode(string)) ?? Data("\"\"".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// RFC 4180 records: fields separated by commas, quoted fields may hold commas, quotes ("") and newlines.
    private static func csvRecords(_ text: String) throws -> [[String]] {
        var records: [[String]] = []
        var record: [String] = []
        var field = ""
        var quoted = false
        var atFieldStart = true
        var iterator = Array(text).makeIterator()
        var pending: Character? = nil
        func next() -> Character? {
            if let value = pending { pending = nil; return value }
            return iterator.next()
        }
        while let character = next() {
            if quoted {
                if character == "\"" {
                    if let following = next() {
                        if following == "\"" { field.append("\"") } else { quoted = false; pending = following }
                    } else {
                        quoted = false
                    }
                } else {
                    field.append(character)
                }
                continue
            }
            switch character {
            case "\"" where atFieldStart:
                quoted = true
                atFieldStart = false
            case ",":
                record.append(field)
                field = ""
                atFieldStart = true
            case "\n", "\r\n":
                record.append(field)
                records.append(record)
                record = []
                field = ""
                atFieldStart = true
            default:
                field.append(character)
                atFieldStart = false
            }
        }
        if quoted { throw PairTableError(line: records.count + 1, problem: "an unterminated quoted field") }
        if !field.isEmpty || !record.isEmpty {
            record.append(field)
            records.append(record)
        }
        return records
    }
}

/// One value of a JSON Lines row.
private enum JSONCell: Decodable {
    case text(String)
    case number(Double)
    case null

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else {
            self = .text(try container.decode(String.self))
        }
    }
}

/// A per-pair table that does not read back.
public struct PairTableError: Error, CustomStringConvertible {
    public let line: Int
    public let problem: String

    public var description: String { "per-pair table, line \(line): \(problem)" }
}
