#if canImport(Glibc)
import Glibc
#endif
import LinearAlgebra

// Goals, in priority order: (1) exact reverse-mode gradients of compositions of matrix operations,
// checked against central finite differences primitive by primitive; (2) speed: one node per matrix
// operation, products through BLAS gemm (dgemm or sgemm), gradients accumulated in place (gemm with
// beta = 1), independent rows and attention blocks spread over the tape's threads with a cut that does
// not depend on the thread count; (3) a small closed set of primitives, everything else composed from them.

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
/// The closed set of primitives (everything else is composed from them):
/// - products: `matmul` (either factor transposed), `linear` (X W + 1 b), `blockMatmul` (block-diagonal
///   batches);
/// - attention: `causalSelfAttention`, the fused form of the per-(sequence, head) composition
///   softmax(causalMask(Q K^T / sqrt(d_h))) V, bit for bit;
/// - elementwise: `add`, `subtract`, `multiply`, `scale`, `addRowVector` (bias), `gelu`, `logSigmoid`,
///   `softplus`;
/// - row-wise: `layerNorm`, `softmax`, `logSoftmax`, `causalMask`;
/// - indexing: `gatherRows` (embeddings, positions read out), `sliceRows`, `concatRows`, `sliceColumns`,
///   `concatColumns` (heads), `gatherElements` (log-probabilities of target tokens);
/// - reductions: `sum`, `mean`.
///
/// Precision: a tape computes in `Double` (`.float64`, the default) or in `Float` (`.float32`, through
/// sgemm). Leaves come in and values and gradients go out as `Matrix` (Double) either way: a float32 tape
/// rounds its leaves once when they are recorded and widens what it hands back exactly.
///
/// Threads: with `threads > 1` the row-wise kernels, the attention blocks and the two gemms of each
/// product's pullback run on up to that many threads. Work is cut by shape alone and every piece is
/// computed exactly as in the serial loop, so values and gradients are bit-identical for any thread count.
///
/// Leaves are either parameters (gradients wanted) or constants (never differentiated); a node needs a
/// gradient exactly when one of its inputs does, so a frozen backbone costs no backward work.
///
/// Mathematical properties (checked in `AutodiffTests`):
/// - every primitive's pullback agrees with central finite differences of its forward value;
/// - gradients of a variable used several times are summed (fan-out);
/// - constants and nodes that depend only on constants receive no gradient;
/// - values and gradients do not depend on `threads`; float32 agrees with float64 to float32 rounding.
///
/// A tape is meant for one forward and one backward pass; make a new one per training step.
public final class Tape {
    enum Engine {
        case float64(TypedTape<Double>)
        case float32(TypedTape<Float>)
    }

    let engine: Engine
    /// The precision every value and gradient on this tape is computed in.
    public let precision: Precision
    /// Threads the kernels may use (1: everything on the calling thread).
    public let threads: Int

    public init(precision: Precision = .float64, threads: Int = 1) {
        precondition(threads >= 1, "a tape needs at least 1 thread, got \(threads)")
        _ = Tape.allocatorTuned
        self.precision = precision
        self.threads = threads
        switch precision {
        case .float64: engine = .float64(TypedTape<Double>(threads: threads))
        case .float32: engine = .float32(TypedTape<Float>(threads: threads))
        }
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

    /// Runs the operation on the engine of this tape's precision (one of the two closures, the same code
    /// specialized for Double and for Float).
    @inline(__always)
    func dispatch<Result>(_ float64: (TypedTape<Double>) -> Result, _ float32: (TypedTape<Float>) -> Result) -> Result {
        switch engine {
        case .float64(let tape): return float64(tape)
        case .float32(let tape): return float32(tape)
        }
    }

    /// The number of recorded nodes.
    public var count: Int { dispatch({ $0.values.count }, { $0.values.count }) }

    /// A leaf whose gradient is wanted.
    public func parameter(_ value: Matrix) -> Variable {
        dispatch({ $0.append(Tensor(value), needsGradient: true, pullback: nil) },
                 { $0.append(Tensor(value), needsGradient: true, pullback: nil) })
    }

    /// A leaf that is never differentiated (data, masks, frozen weights).
    public func constant(_ value: Matrix) -> Variable {
        dispatch({ $0.append(Tensor(value), needsGradient: false, pullback: nil) },
                 { $0.append(Tensor(value), needsGradient: false, pullback: nil) })
    }

    /// The forward value of `variable` (widened to Double on a float32 tape).
    public func value(_ variable: Variable) -> Matrix {
        dispatch({ $0.value(variable).matrix }, { $0.value(variable).matrix })
    }

    /// The 1 x 1 value of a scalar node.
    public func scalar(_ variable: Variable) -> Double {
        let matrix = value(variable)
        precondition(matrix.rows == 1 && matrix.columns == 1,
                     "scalar: node \(variable.id) is \(matrix.rows) x \(matrix.columns), not 1 x 1")
        return matrix.elements[0]
    }

    /// Whether a gradient flows to `variable` (a parameter, or a node depending on one).
    public func needsGradient(_ variable: Variable) -> Bool {
        dispatch({ $0.needsGradient[variable.id] }, { $0.needsGradient[variable.id] })
    }

    /// d loss / d v for every node v recorded up to `loss`, by one reverse sweep.
    ///
    /// `loss` must be 1 x 1. Nodes that the loss does not depend on, or that need no gradient, read as
    /// zero matrices of their shape.
    public func gradients(of loss: Variable) -> Gradients {
        dispatch({ Gradients(storage: .float64($0.gradients(of: loss))) },
                 { Gradients(storage: .float32($0.gradients(of: loss))) })
    }
}

/// The tape of one precision: the recorded values, which of them need gradients, and their pullbacks.
final class TypedTape<Scalar: BLASScalar> {
    /// Adds upstream * (d output / d input) into the accumulator for every input that needs it.
    typealias Pullback = (_ upstream: Tensor<Scalar>, _ accumulator: inout GradientAccumulator<Scalar>) -> Void

    private(set) var values: [Tensor<Scalar>] = []
    private(set) var needsGradient: [Bool] = []
    private var pullbacks: [Pullback?] = []
    let threads: Int

    init(threads: Int) {
        self.threads = threads
    }

    func value(_ variable: Variable) -> Tensor<Scalar> {
        values[variable.id]
    }

    func needsGradient(_ variable: Variable) -> Bool {
        needsGradient[variable.id]
    }

    /// Records an operation's output; the pullback is dropped when no input needs a gradient.
    func record(_ value: Tensor<Scalar>, inputs: [Variable], pullback: @escaping Pullback) -> Variable {
        let needs = inputs.contains { needsGradient[$0.id] }
        return append(value, needsGradient: needs, pullback: needs ? pullback : nil)
    }

    func append(_ value: Tensor<Scalar>, needsGradient needs: Bool, pullback: Pullback?) -> Variable {
        values.append(value)
        needsGradient.append(needs)
        pullbacks.append(pullback)
        return Variable(id: values.count - 1)
    }

    func gradients(of loss: Variable) -> TypedGradients<Scalar> {
        let lossValue = values[loss.id]
        precondition(lossValue.rows == 1 && lossValue.columns == 1,
                     "gradients(of:): the loss must be 1 x 1, got \(lossValue.rows) x \(lossValue.columns)")
        var accumulator = GradientAccumulator<Scalar>(
            shapes: values[0...loss.id].map { (rows: $0.rows, columns: $0.columns) },
            needsGradient: Array(needsGradient[0...loss.id]))
        accumulator.add(Tensor(rows: 1, columns: 1, repeating: 1), to: loss)
        for id in stride(from: loss.id, through: 0, by: -1) {
            guard accumulator.present[id], let pullback = pullbacks[id] else { continue }
            let upstream = accumulator.gradients[id]
            pullback(upstream, &accumulator)
        }
        return TypedGradients(shapes: accumulator.shapes, gradients: accumulator.gradients, present: accumulator.present)
    }
}

/// Gradient buffers filled during the reverse sweep.
struct GradientAccumulator<Scalar: BLASScalar> {
    let shapes: [(rows: Int, columns: Int)]
    let needsGradient: [Bool]
    var gradients: [Tensor<Scalar>]
    var present: [Bool]

    init(shapes: [(rows: Int, columns: Int)], needsGradient: [Bool]) {
        self.shapes = shapes
        self.needsGradient = needsGradient
        gradients = Array(repeating: Tensor(rows: 0, columns: 0), count: shapes.count)
        present = Array(repeating: false, count: shapes.count)
    }

    /// Whether `variable` takes a gradient; pullbacks skip the work for inputs that do not.
    func wants(_ variable: Variable) -> Bool {
        needsGradient[variable.id]
    }

    /// gradient(variable) += contribution.
    mutating func add(_ contribution: Tensor<Scalar>, to variable: Variable) {
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
    mutating func accumulate(into variable: Variable, _ body: (inout Tensor<Scalar>) -> Void) {
        guard needsGradient[variable.id] else { return }
        if !present[variable.id] {
            let shape = shapes[variable.id]
            gradients[variable.id] = Tensor(rows: shape.rows, columns: shape.columns)
            present[variable.id] = true
        }
        body(&gradients[variable.id])
    }

    /// A gradient buffer handed to a gemm, with the beta to write it with: 1 when it already holds
    /// contributions (add to them), 0 when this is the first one (its entries are not set yet, and a gemm
    /// with beta = 0 writes every one without reading it; on a zero buffer beta = 1 would round the same).
    struct ProductTarget {
        let buffer: UnsafeMutablePointer<Scalar>
        let beta: Scalar
    }

    /// Takes the gradient buffer of `variable` out for writing (`ProductTarget`), allocating it without
    /// zeroing when nothing has been added yet. Put it back with `restore`.
    private mutating func takeForProduct(_ variable: Variable) -> (elements: [Scalar], beta: Scalar) {
        if present[variable.id] {
            let elements = gradients[variable.id].elements
            gradients[variable.id].elements = []
            return (elements, 1)
        }
        let shape = shapes[variable.id]
        present[variable.id] = true
        return (Tensor<Scalar>.uninitialized(rows: shape.rows, columns: shape.columns).elements, 0)
    }

    private mutating func restore(_ elements: [Scalar], to variable: Variable) {
        let shape = shapes[variable.id]
        gradients[variable.id] = Tensor(rows: shape.rows, columns: shape.columns, elements: elements)
    }

    /// The gradient of `variable` as a gemm target, for kernels whose gemms together write every entry.
    mutating func accumulateProduct(into variable: Variable, _ body: (ProductTarget) -> Void) {
        guard needsGradient[variable.id] else { return }
        var (elements, beta) = takeForProduct(variable)
        elements.withUnsafeMutableBufferPointer { body(ProductTarget(buffer: $0.baseAddress!, beta: beta)) }
        restore(elements, to: variable)
    }

    /// `accumulateProduct` for two distinct variables at once (nil for one that takes no gradient), so
    /// that two independent gemms (the two of a product's pullback) can fill them concurrently.
    mutating func accumulateProducts(into first: Variable, and second: Variable,
                                     _ body: (ProductTarget?, ProductTarget?) -> Void)
    {
        precondition(first != second, "accumulateProducts(into:and:) needs two distinct variables")
        let wantsFirst = needsGradient[first.id]
        let wantsSecond = needsGradient[second.id]
        var (firstElements, firstBeta) = wantsFirst ? takeForProduct(first) : ([], 0)
        var (secondElements, secondBeta) = wantsSecond ? takeForProduct(second) : ([], 0)
        firstElements.withUnsafeMutableBufferPointer { p in
            secondElements.withUnsafeMutableBufferPointer { q in
                body(wantsFirst ? ProductTarget(buffer: p.baseAddress!, beta: firstBeta) : nil,
                     wantsSecond ? ProductTarget(buffer: q.baseAddress!, beta: secondBeta) : nil)
            }
        }
        if wantsFirst { restore(firstElements, to: first) }
        if wantsSecond { restore(secondElements, to: second) }
    }
}

/// The gradients of one precision after a sweep.
struct TypedGradients<Scalar: BLASScalar> {
    let shapes: [(rows: Int, columns: Int)]
    let gradients: [Tensor<Scalar>]
    let present: [Bool]
}

/// The result of a reverse sweep: d loss / d v for every node v.
public struct Gradients {
    enum Storage {
        case float64(TypedGradients<Double>)
        case float32(TypedGradients<Float>)
    }

    let storage: Storage

    private var shapes: [(rows: Int, columns: Int)] {
        switch storage {
        case .float64(let g): return g.shapes
        case .float32(let g): return g.shapes
        }
    }

    /// d loss / d variable, with the variable's shape; zeros when no gradient reached it. (Widened to
    /// Double from a float32 tape.)
    public subscript(variable: Variable) -> Matrix {
        precondition(variable.id < shapes.count, "node \(variable.id) was recorded after the loss")
        switch storage {
        case .float64(let g): return g.present[variable.id] ? g.gradients[variable.id].matrix : zeros(variable)
        case .float32(let g): return g.present[variable.id] ? g.gradients[variable.id].matrix : zeros(variable)
        }
    }

    private func zeros(_ variable: Variable) -> Matrix {
        let shape = shapes[variable.id]
        return Matrix(rows: shape.rows, columns: shape.columns)
    }

    /// Whether any gradient reached `variable` (false for constants and nodes the loss ignores).
    public func reached(_ variable: Variable) -> Bool {
        switch storage {
        case .float64(let g): return variable.id < g.present.count && g.present[variable.id]
        case .float32(let g): return variable.id < g.present.count && g.present[variable.id]
        }
    }
}
