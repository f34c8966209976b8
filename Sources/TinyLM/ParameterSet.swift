import Autodiff
import LinearAlgebra
import TheorycheckCore

/// Named parameter matrices in a fixed order, each trainable or frozen.
///
/// A value type: `let reference = model.parameters` is a frozen copy that later training of the model
/// cannot touch (this is how pi_ref is kept). Freezing decides both what the tape differentiates
/// (frozen matrices are bound as constants, so no backward work is spent on them) and what optimizers
/// move (frozen matrices stay bit-identical).
public struct ParameterSet: Sendable, Equatable {
    public private(set) var names: [String] = []
    public private(set) var values: [Matrix] = []
    public private(set) var isTrainable: [Bool] = []
    private var indexByName: [String: Int] = [:]

    public init() {}

    /// Adds a trainable matrix under a new name.
    public mutating func append(_ name: String, _ value: Matrix) {
        precondition(indexByName[name] == nil, "parameter \(name) is already in the set")
        indexByName[name] = names.count
        names.append(name)
        values.append(value)
        isTrainable.append(true)
    }

    public var count: Int { names.count }

    /// The total number of scalars.
    public var scalarCount: Int { values.reduce(0) { $0 + $1.elements.count } }

    /// The position of `name`, or nil.
    public func index(of name: String) -> Int? { indexByName[name] }

    /// The matrix called `name`; setting it must keep its shape.
    public subscript(name: String) -> Matrix {
        get {
            guard let index = indexByName[name] else { preconditionFailure("no parameter called \(name)") }
            return values[index]
        }
        set {
            guard let index = indexByName[name] else { preconditionFailure("no parameter called \(name)") }
            setValue(newValue, at: index)
        }
    }

    /// Replaces matrix `index`, keeping its shape.
    public mutating func setValue(_ value: Matrix, at index: Int) {
        let old = values[index]
        precondition(old.rows == value.rows && old.columns == value.columns,
                     "\(names[index]) is \(old.rows) x \(old.columns), cannot take \(value.rows) x \(value.columns)")
        values[index] = value
    }

    /// In-place access for optimizers.
    mutating func updateValue(at index: Int, _ body: (inout Matrix) -> Void) {
        body(&values[index])
    }

    /// Freezes every parameter except those named (Assumption 1: only a read-out trains).
    /// Throws if a name is not in the set.
    public mutating func freezeAll(except trainableNames: Set<String>) throws {
        for name in trainableNames.sorted() where indexByName[name] == nil {
            throw ConfigurationError(
                "cannot keep \(name) trainable: there is no such parameter (known: \(names.joined(separator: ", ")))")
        }
        isTrainable = names.map { trainableNames.contains($0) }
    }

    /// Makes every parameter trainable again.
    public mutating func unfreezeAll() {
        isTrainable = Array(repeating: true, count: names.count)
    }

    /// Throws `DivergenceError` (quantity `.parameter`) at the first non-finite scalar of a trainable
    /// matrix. Frozen matrices are skipped: no optimizer changes them. One pass over the trainable
    /// scalars, which the optimizer has just touched anyway (far less work than the step's forward and
    /// backward passes, which touch every one of them once per token).
    public func checkFinite(model: @autoclosure () -> String, step: Int,
                            cause: @autoclosure () -> DivergenceError.Cause) throws(DivergenceError)
    {
        for index in values.indices where isTrainable[index] {
            try DivergenceError.check(values[index].elements, .parameter, model: model(), step: step, cause: cause())
        }
    }

    /// All scalars in parameter order, row-major within each matrix.
    public func flattened() -> [Double] {
        values.flatMap(\.elements)
    }

    /// Overwrites all scalars from `flattened()`'s layout.
    public mutating func assign(flattened: [Double]) {
        precondition(flattened.count == scalarCount, "\(flattened.count) scalars for a set of \(scalarCount)")
        var offset = 0
        for index in values.indices {
            let count = values[index].elements.count
            values[index].elements.replaceSubrange(0..<count, with: flattened[offset..<(offset + count)])
            offset += count
        }
    }

    /// Puts every matrix on `tape`: trainable ones as parameters, frozen ones as constants. With
    /// `differentiable: false` everything is a constant (evaluation only; no pullbacks are recorded).
    public func bind(to tape: Tape, differentiable: Bool = true) -> BoundParameters {
        let variables = values.indices.map { index in
            differentiable && isTrainable[index] ? tape.parameter(values[index]) : tape.constant(values[index])
        }
        return BoundParameters(names: names, indexByName: indexByName, variables: variables,
                               shapes: values.map { ($0.rows, $0.columns) })
    }
}

/// A `ParameterSet` placed on one tape: the tape variable of each named matrix.
public struct BoundParameters {
    public let names: [String]
    private let indexByName: [String: Int]
    public let variables: [Variable]
    private let shapes: [(Int, Int)]

    init(names: [String], indexByName: [String: Int], variables: [Variable], shapes: [(Int, Int)]) {
        self.names = names
        self.indexByName = indexByName
        self.variables = variables
        self.shapes = shapes
    }

    /// The tape variable of `name`.
    public subscript(name: String) -> Variable {
        guard let index = indexByName[name] else { preconditionFailure("no parameter called \(name) is bound") }
        return variables[index]
    }

    /// d loss / d parameter for every parameter, in set order (zeros for frozen ones), ready for an
    /// optimizer's `step`.
    public func gradients(from gradients: Gradients) -> [Matrix] {
        variables.map { gradients[$0] }
    }
}
