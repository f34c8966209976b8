import RewardDynamics

/// The JSON forms of preference pairs and evaluation sets, shared by the JSON instance format (fields
/// `train` and `eval`) and the safetensors one (metadata keys `train` and `eval` hold the same text).
///
/// - A pair is `{"chosen": "<id>", "rejected": "<id>"}`.
/// - A pair list is a JSON array of pairs.
/// - Evaluation sets are an object `{"<set name>": [pairs...], ...}`; the sets come out in the order
///   their names appear in the text.
///
/// Mathematical properties:
/// - `decodeEvaluationSets(encodeEvaluationSets(s))` equals s, names and order included, and likewise
///   for pair lists.
enum PreferenceJSON {
    static func decodePair(_ value: JSONValue, field: String) throws -> PreferencePair {
        let object = try JSONObjectReader(
            value, field: field, allowed: ["chosen", "rejected"],
            expected: "an object {\"chosen\": \"<id>\", \"rejected\": \"<id>\"}")
        let chosen = try object.required("chosen").string(field: object.fieldName("chosen"))
        let rejected = try object.required("rejected").string(field: object.fieldName("rejected"))
        return PreferencePair(chosen: chosen, rejected: rejected)
    }

    static func decodePairs(_ value: JSONValue, field: String) throws -> [PreferencePair] {
        let elements = try value.array(field: field, of: "an array of {\"chosen\", \"rejected\"} pairs")
        return try elements.enumerated().map { index, element in
            try decodePair(element, field: "\(field)[\(index)]")
        }
    }

    /// Evaluation sets in the order their names appear in the object.
    static func decodeEvaluationSets(_ value: JSONValue, field: String) throws -> [EvaluationSet] {
        let members = try value.object(field: field, of: "an object mapping set names to pair arrays")
        return try members.map { member in
            EvaluationSet(name: member.key, pairs: try decodePairs(member.value, field: JSONValue.path(field, member.key)))
        }
    }

    static func encodePair(_ pair: PreferencePair) -> String {
        "{\"chosen\": \(JSONText.string(pair.chosen)), \"rejected\": \(JSONText.string(pair.rejected))}"
    }

    /// A pair list: one pair per line after `indent`, or all on one line when `multiline` is false.
    static func encodePairs(_ pairs: [PreferencePair], indent: String = "", multiline: Bool = true) -> String {
        guard !pairs.isEmpty else { return "[]" }
        guard multiline else { return "[" + pairs.map(encodePair).joined(separator: ", ") + "]" }
        let lines = pairs.map { indent + "  " + encodePair($0) }
        return "[\n" + lines.joined(separator: ",\n") + "\n" + indent + "]"
    }

    /// Evaluation sets in their order: one set per line after `indent`, or all on one line.
    static func encodeEvaluationSets(_ sets: [EvaluationSet], indent: String = "", multiline: Bool = true) -> String {
        guard !sets.isEmpty else { return "{}" }
        guard multiline else {
            let members = sets.map { JSONText.string($0.name) + ": " + encodePairs($0.pairs, multiline: false) }
            return "{" + members.joined(separator: ", ") + "}"
        }
        let inner = indent + "  "
        let lines = sets.map { set in
            inner + JSONText.string(set.name) + ": " + encodePairs(set.pairs, indent: inner)
        }
        return "{\n" + lines.joined(separator: ",\n") + "\n" + indent + "}"
    }
}
