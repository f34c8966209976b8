import Autodiff
import LinearAlgebra

/// One forward pass of a `TinyLM` over a batch, kept on its tape so that many vector-Jacobian products
/// of the hidden states share it.
///
/// For a cotangent C (N x d, one row per output row of the batch) the pullback returns
///
///     grad_theta <C, H> = sum_c J_c^T C_c,      H = the batch's hidden states h_c (N x d),
///
/// for every trainable parameter theta of the model (J_c the Jacobian of h_c in theta), without ever
/// forming a Jacobian: one reverse sweep per cotangent. The unembedding W does not enter h_c, so its
/// entry is always zero. Cotangents on the logits W h_c are cotangents C_logits W on h_c (plus the
/// read-out's own gradient C_logits^T H, which the caller can form from `hidden`); the tangent-kernel
/// decompositions of docs/theory.md §7 use exactly these: cotangent rows W_y (a token's unembedding row)
/// and W^T p (a next-token law's mean row).
///
/// Mathematical properties (tested in `HiddenStatePullbackTests`):
/// - agrees with central finite differences of <C, H(theta)> for every parameter;
/// - linear in the cotangent: pullback(a C + b D) = a pullback(C) + b pullback(D) to rounding;
/// - frozen parameters get exact zeros, and so does the unembedding.
/// (`MechanismDecompositionTests` also checks the kernels built from it against Jacobians materialized by
/// one reverse sweep of the plain tape per hidden coordinate.)
public final class HiddenStatePullback {
    public let batch: TokenBatch
    /// h_c, N x d (N = batch count x padded length; padding rows are present but never read).
    public let hidden: Matrix
    /// W h_c, N x V.
    public let logits: Matrix
    /// The model's parameter names, in set order: the layout of every pullback.
    public let names: [String]
    private let tape: Tape
    private let hiddenVariable: Variable
    private let bound: BoundParameters

    /// Runs the forward pass once. Throws for a batch the model cannot read.
    public init(model: TinyLM, batch: TokenBatch) throws {
        let tape = Tape()
        let pass = try model.forward(batch, on: tape)
        self.batch = batch
        self.tape = tape
        hiddenVariable = pass.hidden
        bound = pass.parameters
        hidden = tape.value(pass.hidden)  // N x d
        logits = tape.value(pass.logits)  // N x V
        names = model.parameters.names
    }

    /// grad_theta <C, H> for every parameter, in set order (zeros for frozen ones and the unembedding).
    /// `cotangent` must be N x d.
    public func pullback(_ cotangent: Matrix) -> [Matrix] {
        precondition(cotangent.rows == hidden.rows && cotangent.columns == hidden.columns,
                     "a cotangent of \(cotangent.rows) x \(cotangent.columns) for hidden states of \(hidden.rows) x \(hidden.columns)")
        let weighted = tape.sum(tape.multiply(hiddenVariable, tape.constant(cotangent)))  // 1 x 1
        return bound.gradients(from: tape.gradients(of: weighted))
    }
}
