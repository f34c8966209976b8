import Foundation
import LinearAlgebra
import RewardDynamics

/// Reads and writes an `Instance` as JSON.
///
/// The format (V = vocabulary size, d = hidden width, L = a response's length):
/// ```
/// { "beta": 0.1,
///   "unembedding": [[...d numbers...], ...V rows],
///   "reference_unembedding": [[...]],     (optional, default: unembedding)
///   "head": [...d numbers],               (optional, default: zeros)
///   "sequences": { "<id>": { "tokens": [t1, ..., tL], "hidden": [[...d], ... L+1 rows] } },
///   "train": [ { "chosen": "<id>", "rejected": "<id>" }, ... ],
///   "eval":  { "<set name>": [ { "chosen": "<id>", "rejected": "<id>" }, ... ] } }
/// ```
/// `hidden[k]` for k < L is the representation of the context that predicts `tokens[k]`; `hidden[L]` is
/// the whole sequence's. Token ids are 0-based integers (an integral spelling such as `3.0` is accepted,
/// `1.5` is not). The optional fields may also be `null`. `eval` is required; `{}` means no evaluation
/// sets. Evaluation sets keep the order their names appear in the file. Unknown fields are errors, so a
/// misspelled optional field is never silently ignored.
///
/// Errors: text that is not JSON throws `JSONSyntaxError` (with line, column and byte offset); a field of
/// the wrong type, shape or value throws `InstanceValidationError` naming it, e.g.
/// `sequences.s3.hidden: row 2 has 5 entries, expected d = 4` or `train[0].chosen: missing`.
///
/// Mathematical properties:
/// - Round trip: `decode(encode(x))` equals x with every Double bit-identical, sequence ids, pair order
///   and evaluation-set order included.
/// - `encode` is deterministic: sequences in `sequenceIDs` (sorted) order, fields in the order above.
public enum InstanceJSON {
    static let topLevelFields = ["beta", "unembedding", "reference_unembedding", "head", "sequences", "train", "eval"]

    /// Parses and validates an instance from JSON bytes.
    public static func decode(_ data: Data) throws -> Instance {
        try decode(bytes: [UInt8](data))
    }

    /// Parses and validates an instance from JSON text.
    public static func decode(_ text: String) throws -> Instance {
        try decode(bytes: Array(text.utf8))
    }

    static func decode(bytes: [UInt8]) throws -> Instance {
        let root = try JSONParser.parse(bytes)
        let object = try JSONObjectReader(root, field: "", allowed: topLevelFields, expected: "a JSON object at the top level")

        let beta = try object.required("beta").number(field: "beta")
        let unembedding = try decodeMatrix(object.required("unembedding"), field: "unembedding", width: nil)
        let width = unembedding.columns
        let reference = try object.optional("reference_unembedding").map {
            try decodeMatrix($0, field: "reference_unembedding", width: width)
        }
        let head = try object.optional("head").map { try $0.numbers(field: "head") }

        let sequenceMembers = try object.required("sequences").object(
            field: "sequences", of: "an object mapping sequence ids to {\"tokens\", \"hidden\"}")
        var sequences: [String: TokenSequence] = [:]
        for member in sequenceMembers {
            let field = "sequences.\(member.key)"
            sequences[member.key] = try decodeSequence(member.value, field: field, width: width)
        }

        let train = try PreferenceJSON.decodePairs(object.required("train"), field: "train")
        let evaluationSets = try PreferenceJSON.decodeEvaluationSets(object.required("eval"), field: "eval")

        return try Instance(
            beta: beta, unembedding: unembedding, referenceUnembedding: reference, head: head,
            sequences: sequences, train: train, evaluationSets: evaluationSets)
    }

    static func decodeSequence(_ value: JSONValue, field: String, width: Int) throws -> TokenSequence {
        let object = try JSONObjectReader(
            value, field: field, allowed: ["tokens", "hidden"], expected: "an object {\"tokens\", \"hidden\"}")
        let tokenValues = try object.required("tokens").array(
            field: object.fieldName("tokens"), of: "an array of integer token ids")
        let tokens = try tokenValues.enumerated().map { index, token in
            try token.integer(field: "\(field).tokens[\(index)]", what: "token id")
        }
        let hidden = try decodeMatrix(object.required("hidden"), field: object.fieldName("hidden"), width: width)
        return TokenSequence(tokens: tokens, hidden: hidden)
    }

    /// A matrix written as an array of rows. With `width` nil the width is row 0's and the matrix must
    /// have at least one non-empty row; otherwise every row must have `width` entries (d).
    static func decodeMatrix(_ value: JSONValue, field: String, width: Int?) throws -> Matrix {
        let rows = try value.array(field: field, of: "an array of rows (arrays of numbers)")
        let columns: Int
        if let width {
            columns = width
        } else {
            guard let first = rows.first else {
                throw InstanceValidationError(field: field, problem: "is empty; expected at least one row")
            }
            columns = try first.numbers(field: "\(field)[0]").count
            guard columns > 0 else {
                throw InstanceValidationError(field: field, problem: "row 0 is empty; expected at least one column")
            }
        }
        var elements = [Double]()
        elements.reserveCapacity(rows.count * columns)
        for (index, row) in rows.enumerated() {
            let entries = try row.numbers(field: "\(field)[\(index)]")
            guard entries.count == columns else {
                let expected = width == nil ? "expected \(columns) like row 0" : "expected d = \(columns)"
                throw InstanceValidationError(field: field, problem: "row \(index) has \(entries.count) entries, \(expected)")
            }
            elements.append(contentsOf: entries)
        }
        return Matrix(rows: rows.count, columns: columns, elements: elements)
    }

    // MARK: Writing

    /// The instance as UTF-8 JSON text in the format above.
    public static func encode(_ instance: Instance) -> Data {
        Data(encodeString(instance).utf8)
    }

    /// The instance as JSON text in the format above, one matrix row per line.
    public static func encodeString(_ instance: Instance) -> String {
        var fields: [String] = []
        fields.append("\"beta\": " + JSONText.number(instance.beta))
        fields.append("\"unembedding\": " + encodeMatrix(instance.unembedding, indent: "  "))
        if !bitIdentical(instance.referenceUnembedding.elements, instance.unembedding.elements) {
            fields.append("\"reference_unembedding\": " + encodeMatrix(instance.referenceUnembedding, indent: "  "))
        }
        fields.append("\"head\": " + JSONText.numberArray(instance.head))
        let sequenceLines = instance.sequenceIDs.map { id -> String in
            // Instance guarantees every id in sequenceIDs has a sequence.
            let sequence = instance.sequences[id]!
            let tokens = "[" + sequence.tokens.map(String.init).joined(separator: ", ") + "]"
            return "    " + JSONText.string(id) + ": {\"tokens\": " + tokens + ", \"hidden\": "
                + encodeMatrix(sequence.hidden, indent: "    ") + "}"
        }
        fields.append("\"sequences\": {\n" + sequenceLines.joined(separator: ",\n") + "\n  }")
        fields.append("\"train\": " + PreferenceJSON.encodePairs(instance.train, indent: "  "))
        fields.append("\"eval\": " + PreferenceJSON.encodeEvaluationSets(instance.evaluationSets, indent: "  "))
        return "{\n" + fields.map { "  " + $0 }.joined(separator: ",\n") + "\n}\n"
    }

    static func encodeMatrix(_ matrix: Matrix, indent: String) -> String {
        guard matrix.rows > 0 else { return "[]" }
        let lines = (0..<matrix.rows).map { indent + "  " + JSONText.numberArray(matrix.row($0)) }
        return "[\n" + lines.joined(separator: ",\n") + "\n" + indent + "]"
    }

    /// Equal bit patterns, so -0.0 and 0.0 count as different (the writer must keep both exactly).
    static func bitIdentical(_ a: [Double], _ b: [Double]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern }
    }
}
