import RewardDynamics

/// A parsed JSON document that keeps object members in the order they appear in the text.
///
/// Foundation's `JSONSerialization` returns dictionaries, which forget key order; the instance formats
/// need it (evaluation sets keep file order), so the project parses JSON itself (`JSONParser`) into
/// this small tree. Numbers are `Double`s, parsed with correct rounding from their literal text.
///
/// The accessors below turn a value into the Swift type a field needs and throw
/// `InstanceValidationError(field:problem:)` naming the field, e.g. `beta: expected a number, got a string`.
///
/// Mathematical properties:
/// - `members` of an object are in text order; duplicate keys are kept by the parser and rejected by
///   `object(field:)`, so a lookup never silently picks one of two values.
enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([(key: String, value: JSONValue)])

    static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case let (.bool(a), .bool(b)): return a == b
        case let (.number(a), .number(b)): return a == b
        case let (.string(a), .string(b)): return a == b
        case let (.array(a), .array(b)): return a == b
        case let (.object(a), .object(b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }

    /// "a number", "an array", ...: the kind of value, for "expected X, got Y" messages.
    var kindDescription: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    // MARK: Typed accessors that name the field on failure

    func number(field: String) throws -> Double {
        guard case let .number(value) = self else {
            throw InstanceValidationError(field: field, problem: "expected a number, got \(kindDescription)")
        }
        return value
    }

    /// An integer written as a JSON number (`3`, or an integral spelling like `3.0`), exactly
    /// representable (|x| <= 2^53). `what` names the thing in the message ("token id").
    func integer(field: String, what: String = "integer") throws -> Int {
        let value = try number(field: field)
        guard value == value.rounded(.towardZero), abs(value) <= 9_007_199_254_740_992 else {
            throw InstanceValidationError(field: field, problem: "expected an integer \(what), got \(value)")
        }
        return Int(value)
    }

    func string(field: String) throws -> String {
        guard case let .string(value) = self else {
            throw InstanceValidationError(field: field, problem: "expected a string, got \(kindDescription)")
        }
        return value
    }

    func array(field: String, of expected: String = "an array") throws -> [JSONValue] {
        guard case let .array(values) = self else {
            throw InstanceValidationError(field: field, problem: "expected \(expected), got \(kindDescription)")
        }
        return values
    }

    /// The members of an object, in text order, after checking no key appears twice.
    func object(field: String, of expected: String = "an object") throws -> [(key: String, value: JSONValue)] {
        guard case let .object(members) = self else {
            let name = field.isEmpty ? "(document)" : field
            throw InstanceValidationError(field: name, problem: "expected \(expected), got \(kindDescription)")
        }
        var seen = Set<String>()
        for member in members where !seen.insert(member.key).inserted {
            throw InstanceValidationError(field: JSONValue.path(field, member.key), problem: "appears twice")
        }
        return members
    }

    /// An array of numbers.
    func numbers(field: String) throws -> [Double] {
        let values = try array(field: field, of: "an array of numbers")
        var result = [Double]()
        result.reserveCapacity(values.count)
        for (index, value) in values.enumerated() {
            result.append(try value.number(field: "\(field)[\(index)]"))
        }
        return result
    }

    /// `parent.key`, or `key` at the top level.
    static func path(_ parent: String, _ key: String) -> String {
        parent.isEmpty ? key : "\(parent).\(key)"
    }
}

/// The members of one JSON object, looked up by key, with checks that every required key is present and
/// no unexpected key is (a misspelled optional key would otherwise be silently ignored).
struct JSONObjectReader {
    let field: String
    private let members: [String: JSONValue]

    /// Reads `value` as an object at `field` whose keys must all be in `allowed`.
    init(_ value: JSONValue, field: String, allowed: [String], expected: String = "an object") throws {
        self.field = field
        let list = try value.object(field: field, of: expected)
        for member in list where !allowed.contains(member.key) {
            let known = allowed.map { "\"\($0)\"" }.joined(separator: ", ")
            throw InstanceValidationError(
                field: JSONValue.path(field, member.key), problem: "unknown field; the known fields are \(known)")
        }
        members = Dictionary(list.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
    }

    /// The value at `key`, or an error `field.key: missing`.
    func required(_ key: String) throws -> JSONValue {
        guard let value = members[key] else {
            throw InstanceValidationError(field: JSONValue.path(field, key), problem: "missing")
        }
        return value
    }

    /// The value at `key`, or nil when absent or JSON `null`.
    func optional(_ key: String) -> JSONValue? {
        guard let value = members[key], value != .null else { return nil }
        return value
    }

    func fieldName(_ key: String) -> String { JSONValue.path(field, key) }
}
