import Foundation
import LinearAlgebra
import RewardDynamics

/// Reads and writes an `Instance` as a safetensors file (see `SafetensorsFile` for the container).
///
/// Tensors (V = vocabulary size, d = hidden width, L = a response's length):
/// - `unembedding`: floating, shape [V, d].
/// - `reference_unembedding`: floating, [V, d]; optional, default: `unembedding`.
/// - `head`: floating, [d]; optional, default: zeros.
/// - `hidden.<id>`: floating, [L + 1, d], and `tokens.<id>`: integer (I64 or I32), [L], one pair per
///   sequence id (an id may itself contain dots: everything after the first dot is the id).
/// Keys of the header's `__metadata__` (string values), each the JSON text of the JSON format's field of
/// the same name (see `InstanceJSON`):
/// - `beta`: a JSON number, e.g. `"0.1"`;
/// - `train`: a JSON array of `{"chosen", "rejected"}` pairs;
/// - `eval`: a JSON object of set name -> pair array; the sets keep the order of that text.
/// Other metadata keys are ignored (writers such as PyTorch add their own, e.g. `format`); any other
/// tensor name is an error, as is a tensor of the wrong kind or shape. Errors are
/// `InstanceValidationError`s whose field is the tensor name (`hidden.s3`) or metadata key
/// (`__metadata__.train[0].chosen`); a container that does not parse throws `SafetensorsError`.
///
/// Mathematical properties:
/// - Round trip in F64: `decode(encode(x))` equals x, every Double bit-identical.
/// - In F32/F16/BF16 every stored value is the input rounded to nearest (ties to even) in that dtype;
///   a finite value beyond the dtype's range makes `encode` throw rather than store infinity.
/// - The same instance written as JSON and as F64 safetensors decodes to equal instances.
public enum InstanceSafetensors {
    /// Reads an instance from the bytes of a safetensors file.
    public static func decode(_ data: Data) throws -> Instance {
        try decode(SafetensorsFile(data: data))
    }

    /// Reads an instance from a parsed safetensors file.
    public static func decode(_ file: SafetensorsFile) throws -> Instance {
        let beta = try metadataJSON(file, key: "beta").number(field: "__metadata__.beta")
        let train = try PreferenceJSON.decodePairs(metadataJSON(file, key: "train"), field: "__metadata__.train")
        let evaluationSets = try PreferenceJSON.decodeEvaluationSets(
            metadataJSON(file, key: "eval"), field: "__metadata__.eval")

        guard let unembeddingTensor = file.tensors["unembedding"] else {
            throw InstanceValidationError(field: "unembedding", problem: "missing; expected a floating tensor of shape [V, d]")
        }
        let unembedding = try matrix(unembeddingTensor, name: "unembedding", expected: nil)
        let vocabulary = unembedding.rows
        let width = unembedding.columns
        guard vocabulary > 0 && width > 0 else {
            throw InstanceValidationError(
                field: "unembedding", problem: "has shape \(unembeddingTensor.shape); V and d must both be at least 1")
        }
        let reference = try file.tensors["reference_unembedding"].map {
            try matrix($0, name: "reference_unembedding", expected: (vocabulary, "V"))
        }
        let head = try file.tensors["head"].map { tensor -> [Double] in
            let values = try floating(tensor, name: "head")
            guard tensor.shape == [width] else {
                throw InstanceValidationError(field: "head", problem: "has shape \(tensor.shape), expected [d] = [\(width)]")
            }
            return values
        }

        var hidden: [String: SafetensorsTensor] = [:]
        var tokens: [String: SafetensorsTensor] = [:]
        for name in file.tensorNames where !["unembedding", "reference_unembedding", "head"].contains(name) {
            if name.hasPrefix("hidden.") {
                hidden[String(name.dropFirst("hidden.".count))] = file.tensors[name]
            } else if name.hasPrefix("tokens.") {
                tokens[String(name.dropFirst("tokens.".count))] = file.tensors[name]
            } else {
                throw InstanceValidationError(
                    field: name,
                    problem: "unknown tensor; expected unembedding, reference_unembedding, head, hidden.<id> or tokens.<id>")
            }
        }
        var sequences: [String: TokenSequence] = [:]
        for id in Set(hidden.keys).union(tokens.keys).sorted() {
            guard let tokenTensor = tokens[id] else {
                throw InstanceValidationError(field: "tokens.\(id)", problem: "missing; hidden.\(id) has no token ids")
            }
            guard let hiddenTensor = hidden[id] else {
                throw InstanceValidationError(field: "hidden.\(id)", problem: "missing; tokens.\(id) has no representations")
            }
            guard let ids = tokenTensor.integers else {
                throw InstanceValidationError(
                    field: "tokens.\(id)",
                    problem: "has dtype \(tokenTensor.dtype.rawValue), expected an integer dtype (\(SafetensorsDType.integerNames))")
            }
            guard tokenTensor.shape.count == 1 else {
                throw InstanceValidationError(field: "tokens.\(id)", problem: "has shape \(tokenTensor.shape), expected [L]")
            }
            let length = ids.count
            let representations = try matrix(hiddenTensor, name: "hidden.\(id)", expected: (length + 1, "L + 1"))
            guard representations.columns == width else {
                throw InstanceValidationError(
                    field: "hidden.\(id)",
                    problem: "has shape \(hiddenTensor.shape), expected [L + 1, d] = [\(length + 1), \(width)]")
            }
            sequences[id] = TokenSequence(tokens: ids, hidden: representations)
        }

        do {
            return try Instance(
                beta: beta, unembedding: unembedding, referenceUnembedding: reference, head: head,
                sequences: sequences, train: train, evaluationSets: evaluationSets)
        } catch let error as InstanceValidationError {
            throw InstanceValidationError(field: safetensorsName(ofField: error.field), problem: error.problem)
        }
    }

    /// The JSON text under `__metadata__.<key>`, parsed.
    private static func metadataJSON(_ file: SafetensorsFile, key: String) throws -> JSONValue {
        let field = "__metadata__.\(key)"
        guard let text = file.metadata[key] else {
            throw InstanceValidationError(
                field: field, problem: "missing; the header's __metadata__ must hold beta, train and eval as JSON text")
        }
        do {
            return try JSONParser.parse(text)
        } catch {
            throw InstanceValidationError(field: field, problem: error.description)
        }
    }

    private static func floating(_ tensor: SafetensorsTensor, name: String) throws -> [Double] {
        guard let values = tensor.doubles else {
            throw InstanceValidationError(
                field: name,
                problem: "has dtype \(tensor.dtype.rawValue), expected a floating dtype (\(SafetensorsDType.floatingNames))")
        }
        return values
    }

    /// A rank-2 floating tensor as a Matrix; `expected` pins the row count (with its name for messages).
    private static func matrix(_ tensor: SafetensorsTensor, name: String, expected: (rows: Int, label: String)?) throws -> Matrix {
        let values = try floating(tensor, name: name)
        guard tensor.shape.count == 2 else {
            let wanted = expected.map { "[\($0.label), d]" } ?? "[V, d]"
            throw InstanceValidationError(field: name, problem: "has shape \(tensor.shape), expected \(wanted)")
        }
        if let expected, tensor.shape[0] != expected.rows {
            throw InstanceValidationError(
                field: name,
                problem: "has shape \(tensor.shape), expected \(expected.rows) rows (\(expected.label) = \(expected.rows))")
        }
        return Matrix(rows: tensor.shape[0], columns: tensor.shape[1], elements: values)
    }

    /// The instance's field names as this format names them: `sequences.<id>.hidden` is the tensor
    /// `hidden.<id>`, and `beta`, `train...`, `eval...` live in the metadata.
    static func safetensorsName(ofField field: String) -> String {
        if field.hasPrefix("sequences.") {
            let rest = field.dropFirst("sequences.".count)
            for part in ["tokens", "hidden"] where rest.hasSuffix("." + part) {
                return "\(part).\(rest.dropLast(part.count + 1))"
            }
        }
        if field == "sequences" { return "hidden.<id>/tokens.<id> tensors" }
        for key in ["beta", "train", "eval"] where field == key || field.hasPrefix(key + "[") || field.hasPrefix(key + ".") {
            return "__metadata__." + field
        }
        return field
    }

    // MARK: Writing

    /// The instance as safetensors bytes, floating tensors in `floatDType`, token ids in `tokenDType`.
    ///
    /// Throws `SafetensorsError` naming the tensor if a value does not fit the dtype (a finite value
    /// beyond F16's 65504, a token id beyond Int32). Passing an integer `floatDType` or a floating
    /// `tokenDType` is a programmer error.
    public static func encode(
        _ instance: Instance, floatDType: SafetensorsDType = .f64, tokenDType: SafetensorsDType = .i64
    ) throws(SafetensorsError) -> Data {
        try file(for: instance, floatDType: floatDType, tokenDType: tokenDType).serialized()
    }

    /// The instance as a `SafetensorsFile` (see `encode`).
    public static func file(
        for instance: Instance, floatDType: SafetensorsDType = .f64, tokenDType: SafetensorsDType = .i64
    ) throws(SafetensorsError) -> SafetensorsFile {
        precondition(floatDType.isFloatingPoint, "floatDType must be floating, got \(floatDType.rawValue)")
        precondition(!tokenDType.isFloatingPoint, "tokenDType must be an integer dtype, got \(tokenDType.rawValue)")
        func named(_ name: String, _ build: () throws(SafetensorsError) -> SafetensorsTensor) throws(SafetensorsError)
            -> SafetensorsTensor
        {
            do {
                return try build()
            } catch {
                throw SafetensorsError("tensor \(JSONText.string(name)): \(error.problem)")
            }
        }
        func matrixTensor(_ name: String, _ matrix: Matrix) throws(SafetensorsError) -> SafetensorsTensor {
            try named(name) { () throws(SafetensorsError) in
                try SafetensorsTensor(dtype: floatDType, shape: [matrix.rows, matrix.columns], doubles: matrix.elements)
            }
        }

        var tensors: [String: SafetensorsTensor] = [:]
        tensors["unembedding"] = try matrixTensor("unembedding", instance.unembedding)
        if !InstanceJSON.bitIdentical(instance.referenceUnembedding.elements, instance.unembedding.elements) {
            tensors["reference_unembedding"] = try matrixTensor("reference_unembedding", instance.referenceUnembedding)
        }
        tensors["head"] = try named("head") { () throws(SafetensorsError) in
            try SafetensorsTensor(dtype: floatDType, shape: [instance.head.count], doubles: instance.head)
        }
        for id in instance.sequenceIDs {
            // Instance guarantees every id in sequenceIDs has a sequence.
            let sequence = instance.sequences[id]!
            tensors["hidden.\(id)"] = try matrixTensor("hidden.\(id)", sequence.hidden)
            tensors["tokens.\(id)"] = try named("tokens.\(id)") { () throws(SafetensorsError) in
                try SafetensorsTensor(dtype: tokenDType, shape: [sequence.length], integers: sequence.tokens)
            }
        }
        let metadata = [
            "beta": JSONText.number(instance.beta),
            "train": PreferenceJSON.encodePairs(instance.train, multiline: false),
            "eval": PreferenceJSON.encodeEvaluationSets(instance.evaluationSets, multiline: false),
        ]
        return SafetensorsFile(tensors: tensors, metadata: metadata)
    }
}
