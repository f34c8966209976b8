import LinearAlgebra
import RewardDynamics

/// One simulator whose step `theorycheck bench` times, with the FLOP count of the products that step does.
///
/// FLOPs count only the BLAS products (2 m k n for an m x k by k x n gemm, 2 m n for an m x n gemv),
/// never the elementwise work around them (log-sum-exp, exp of the gradient rows, reward sums), so
/// GFLOP/s divided by the dgemm rate says how close a step comes to pure matrix multiplication.
/// With N_ctx contexts, N_tr training contexts, S sequences and S_tr training sequences:
/// - `im_rm` (W trained directly): logits H W^T, 2 N_ctx d V; update G^T H_train, 2 V N_tr d.
/// - `im_rm_function_space` (logits evolved through the context kernel): K G, 2 N_ctx N_tr V.
/// - `ex_rm` (head u trained directly): rewards Phi u, 2 S d; direction Phi^T c, 2 S d (two gemvs).
/// - `ex_rm_function_space` (rewards evolved through the kernel): K c, 2 S S_tr (one gemv).
enum BenchmarkCase: String, CaseIterable, Codable, Sendable {
    case implicitParameterSpace = "im_rm"
    case implicitFunctionSpace = "im_rm_function_space"
    case explicitParameterSpace = "ex_rm"
    case explicitFunctionSpace = "ex_rm_function_space"

    func flopsPerStep(_ shape: BenchmarkShape) -> Double {
        let v = Double(shape.vocabularySize)
        let d = Double(shape.hiddenWidth)
        switch self {
        case .implicitParameterSpace:
            return 2 * Double(shape.contexts) * d * v + 2 * v * Double(shape.trainContexts) * d
        case .implicitFunctionSpace:
            return 2 * Double(shape.contexts) * Double(shape.trainContexts) * v
        case .explicitParameterSpace:
            return 2 * Double(shape.sequences) * d + 2 * Double(shape.sequences) * d
        case .explicitFunctionSpace:
            return 2 * Double(shape.sequences) * Double(shape.trainSequences)
        }
    }

    /// The dimensions (m, k, n) of the largest product of one step, for sizing the reference dgemm.
    func largestProduct(_ shape: BenchmarkShape) -> (m: Int, k: Int, n: Int) {
        switch self {
        case .implicitParameterSpace:
            return (shape.contexts, shape.hiddenWidth, shape.vocabularySize)
        case .implicitFunctionSpace:
            return (shape.contexts, shape.trainContexts, shape.vocabularySize)
        case .explicitParameterSpace:
            return (shape.sequences, shape.hiddenWidth, 1)
        case .explicitFunctionSpace:
            return (shape.sequences, shape.trainSequences, 1)
        }
    }

    /// Builds the simulator (this may itself take a few products) and returns a closure that takes one
    /// full-batch step (throwing `DivergenceError` if it diverges). The simulator lives as long as the closure does.
    func makeStepper(instance: Instance, layout: SequenceLayout, learningRate: Double) -> () throws -> Void {
        switch self {
        case .implicitParameterSpace:
            var model = ImplicitRewardModel(instance: instance, layout: layout, reference: .frozenInitial)
            return { try model.step(learningRate: learningRate) }
        case .implicitFunctionSpace:
            var dynamics = ImplicitRewardDynamics(instance: instance, layout: layout, reference: .frozenInitial)
            return { try dynamics.step(learningRate: learningRate) }
        case .explicitParameterSpace:
            var model = ExplicitRewardModel(layout: layout, readout: .lastPosition, head: instance.head)
            return { try model.step(learningRate: learningRate) }
        case .explicitFunctionSpace:
            var dynamics = ExplicitRewardDynamics(layout: layout, readout: .lastPosition, initialHead: instance.head)
            return { try dynamics.step(learningRate: learningRate) }
        }
    }
}
