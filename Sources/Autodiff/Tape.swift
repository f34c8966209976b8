#if canImport(Glibc)
import Glibc
#endif
import LinearAlgebra

// Goals, in priority order: (1) exact reverse-mode gradients of compositions of matrix operations,
// checked against central finite differences primitive by primitive; (2) speed: one node per matrix
// operation, products through BLAS gemm, gradients accumulated in place (gemm with beta = 1);
// (3) a small closed set of primitives, everything else composed from them.

/// A handle to one matrix recorded on a `Tape`: its position in recording order.
public struct Variable: Hashable, Sendable {
    public let id: Int
}

/// A reverse-mode automatic-differentiation tape over matrix operations.
///
/// Every primitive (a method in the `Tape+...` files) computes its value at once, appends it to the tape
/// and records a pullback: given the gradient G of the loss with respect to the output, it adds
/// G (d output / d input) into the gradient of each input that needs one. `gradients(of:)` then seeds
/// d loss / d loss = 1 and runs the pullbacks in reverse recording order, which is a topological order.
///
/// The closed set of primitives (everything else, attention included, is composed from them):
/// - products: `matmul` (either factor transposed), `blockMatmul` (block-diagonal batches: attention);
/// - elementwise: `add`, `subtract`, `multiply`, `scale`, `addRowVector` (bias), `gelu`, `logSigmoid`,
///   `softplus`;
/// - row-wise: `layerNorm`, `softmax`, `logSoftmax`, `causalMask`;
/// - indexing: `gatherRows` (embeddings, positions read out), `sliceRows`, `concatRows`, `sliceColumns`,
///   `concatColumns` (heads), `gatherElements` (log-probabilities of target tokens);
/// - reductions: `sum`, `mean`.
///
/// Leaves are either parameters (gradients wanted) or constants (never differentiated); a node needs a
/// gradient exactly when one of its inputs does, so a frozen backbone costs no backward work.
///
/// Mathematical properties (checked in `AutodiffTests`):
/// - every primitive's pullback agrees with central finite differences of its forward value;
/// - gradients of a variable used several times are summed (fan-out);
/// - constants and nodes that depend only on constants receive no gradient.
///
/// A tape is meant for one forward and one backward pass; make a new one per training step.
public final class Tape {
    /// Adds upstream * (d output / d input) into the accumulator for every input that needs it.
    typealias Pullback = (_ upstream: Matrix, _ accumulator: inout GradientAccumulator) -> Void

    private var values: [Matrix] = []
    private var needsGradient: [Bool] = []
    private var pullbacks: [Pullback?] = []

    public init() {
        _ = Tape.allocatorTuned
    }

    /// Once per process, on glibc: keep freed blocks of up to 64 MB on the heap instead of returning them
    /// to the kernel. A training step allocates and frees the same few-megabyte buffers every step; with
    /// glibc's defaults each one is a fresh mmap whose pages fault in zeroed again (a quarter of the step
    /// time at d = 64, batch 32). Costs at most the peak working set in retained memory.
    private static let allocatorTuned: Bool = {
        #if canImport(Glibc)
        // mallopt is not in the Glibc module map (malloc.h), so it is looked up by name; the option
        // numbers are glibc's M_TRIM_THRESHOLD = -1, M_TOP_PAD = -2, M_MMAP_THRESHOLD = -3.
        typealias MallocOption = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return false }
        let mallopt = unsafeBitCast(symbol, to: MallocOption.self)
        _ = mallopt(-3, 64 << 20)
        _ = mallopt(-1, 256 << 20)
        _ = mallopt(-2, 64 << 20)
        return true
        #else
        return false
        #endif
    }()

    /// The number of recorded nodes.
    public var count: Int { values.count }

    /// A leaf whose gradient is wanted.
    public func parameter(_ value: Matrix) -> Variable {
        append(value, needsGradient: true, pullback: nil)
    }

    /// A leaf that is never differentiated (data, masks, frozen weights).
    public func constant(_ value: Matrix) -> Variable {
        append(value, needsGradient: false, pullback: nil)
    }

    /// The forward value of `variable`.
    public func value(_ variable: Variable) -> Matrix {
        values[variable.id]
    }

    /// The 1 x 1 value of a scalar node.
    public func scalar(_ variable: Variable) -> Double {
        let matrix = values[variable.id]
        precondition(matrix.rows == 1 && matrix.columns == 1,
                     "scalar: node \(variable.id) is \(matrix.rows) x \(matrix.columns), not 1 x 1")
        return matrix.elements[0]
    }

    /// Whether a gradient flows to `variable` (a parameter, or a node depending on one).
    public func needsGradient(_ variable: Variable) -> Bool {
        needsGradient[variable.id]
    }

    /// Records an operation's output; the pullback is dropped when no input needs a gradient.
    func record(_ value: Matrix, inputs: [Variable], pullback: @escaping Pullback) -> Variable {
        let needs = inputs.contains { needsGradient[$0.id] }
        return append(value, needsGradient: needs, pullback: needs ? pullback : nil)
    }

    private func append(_ value: Matrix, needsGradient needs: Bool, pullback: Pullback?) -> Variable {
        values.append(value)
        needsGradient.append(needs)
        pullbacks.append(pullback)
        return Variable(id: values.count - 1)
    }

    /// d loss / d v for every node v recorded up to `loss`, by one reverse sweep.
    ///
    /// `loss` must be 1 x 1. Nodes that the loss does not depend on, or that need no gradient, read as
    /// zero matrices of their shape.
    public func gradients(of loss: Variable) -> Gradients {
        let lossValue = values[loss.id]
        precondition(lossValue.rows == 1 && lossValue.columns == 1,
                     "gradients(of:): the loss must be 1 x 1, got \(lossValue.rows) x \(lossValue.columns)")
        var accumulator = GradientAccumulator(
            shapes: values[0...loss.id].map { (rows: $0.rows, columns: $0.columns) },
            needsGradient: Array(needsGradient[0...loss.id]))
        accumulator.add(Matrix(rows: 1, columns: 1, repeating: 1), to: loss)
        for id in stride(from: loss.id, through: 0, by: -1) {
            guard accumulator.present[id], let pullback = pullbacks[id] else { continue }
            let upstream = accumulator.gradients[id]
            pullback(upstream, &accumulator)
        }
        return Gradients(shapes: accumulator.shapes, gradients: accumulator.gradients, present: accumulator.present)
    }
}

/// Gradient buffers filled during the reverse sweep.
struct GradientAccumulator {
    let shapes: [(rows: Int, columns: Int)]
    let needsGradient: [Bool]
    var gradients: [Matrix]
    var present: [Bool]

    init(shapes: [(rows: Int, columns: Int)], needsGradient: [Bool]) {
        self.shapes = shapes
        self.needsGradient = needsGradient
        gradients = Array(repeating: Matrix(rows: 0, columns: 0), count: shapes.count)
        present = Array(repeating: false, count: shapes.count)
    }

    /// Whether `variable` takes a gradient; pullbacks skip the work for inputs that do not.
    func wants(_ variable: Variable) -> Bool {
        needsGradient[variable.id]
    }

    /// gradient(variable) += contribution.
    mutating func add(_ contribution: Matrix, to variable: Variable) {
        guard needsGradient[variable.id] else { return }
        let shape = shapes[variable.id]
        precondition(contribution.rows == shape.rows && contribution.columns == shape.columns,
                     "gradient of \(contribution.rows) x \(contribution.columns) for a \(shape.rows) x \(shape.columns) node")
        if !present[variable.id] {
            gradients[variable.id] = contribution
            present[variable.id] = true
            return
        }
        gradients[variable.id].elements.withUnsafeMutableBufferPointer { target in
            contribution.elements.withUnsafeBufferPointer { source in
                for index in 0..<source.count { target[index] += source[index] }
            }
        }
    }

    /// Hands `body` the gradient buffer of `variable` (zeros if nothing has been added yet) to add into in
    /// place, e.g. by gemm with beta = 1.
    mutating func accumulate(into variable: Variable, _ body: (inout Matrix) -> Void) {
        guard needsGradient[variable.id] else { return }
        if !present[variable.id] {
            let shape = shapes[variable.id]
            gradients[variable.id] = Matrix(rows: shape.rows, columns: shape.columns)
            present[variable.id] = true
        }
        body(&gradients[variable.id])
    }
}

/// The result of a reverse sweep: d loss / d v for every node v.
public struct Gradients {
    private let shapes: [(rows: Int, columns: Int)]
    private let gradients: [Matrix]
    private let present: [Bool]

    init(shapes: [(rows: Int, columns: Int)], gradients: [Matrix], present: [Bool]) {
        self.shapes = shapes
        self.gradients = gradients
        self.present = present
    }

    /// d loss / d variable, with the variable's shape; zeros when no gradient reached it.
    public subscript(variable: Variable) -> Matrix {
        precondition(variable.id < shapes.count, "node \(variable.id) was recorded after the loss")
        if present[variable.id] { return gradients[variable.id] }
        let shape = shapes[variable.id]
        return Matrix(rows: shape.rows, columns: shape.columns)
    }

    /// Whether any gradient reached `variable` (false for constants and nodes the loss ignores).
    public func reached(_ variable: Variable) -> Bool {
        variable.id < present.count && present[variable.id]
    }
}
