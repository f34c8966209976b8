import LinearAlgebra
import RewardDynamics
import TinyLM

/// The empirical tangent kernel of a reward model between sequences, K(a, b) = <grad r(a), grad r(b)>
/// over every trainable parameter (docs/theory.md §2, §7), kept as its read-out part (u or W) and its
/// backbone part (every other trainable parameter): K = readout + backbone.
///
/// One reverse sweep per sequence (`TinyLMRewardModel.rewardGradient`), then all inner products.
///
/// Mathematical properties (tested): symmetric positive semidefinite (both parts); with the backbone
/// frozen the backbone part is exactly 0; for an EX-RM at u = 0 the backbone part is exactly 0 too
/// (grad_backbone <u, h> = J^T u).
public struct TangentKernel: Sendable, Equatable {
    /// items x items.
    public let readout: Matrix
    public let backbone: Matrix

    public var full: Matrix { readout + backbone }

    public init(readout: Matrix, backbone: Matrix) {
        precondition(readout.rows == backbone.rows && readout.columns == backbone.columns,
                     "kernel parts of \(readout.rows) x \(readout.columns) and \(backbone.rows) x \(backbone.columns)")
        self.readout = readout
        self.backbone = backbone
    }

    /// The kernel of `model` between every pair of `items`.
    public init(model: TinyLMRewardModel, items: [PromptResponse]) throws {
        let gradients = try items.map { try model.rewardGradient(of: $0) }
        let readoutNames = model.readoutNames
        let count = items.count
        var readout = Matrix(rows: count, columns: count)
        var backbone = Matrix(rows: count, columns: count)
        for a in 0..<count {
            for b in a..<count {
                let r = gradients[a].dot(gradients[b], where: { readoutNames.contains($0) })
                let k = gradients[a].dot(gradients[b], where: { !readoutNames.contains($0) })
                readout[a, b] = r
                readout[b, a] = r
                backbone[a, b] = k
                backbone[b, a] = k
            }
        }
        self.init(readout: readout, backbone: backbone)
    }

    /// K_pairs[j, i] = <grad m_j, grad m_i> with m = r(chosen) - r(rejected): rows `rows`, columns
    /// `columns` (pairs index into the kernel's items), of `part` (the full kernel when nil).
    public func pairKernel(rows: [IndexedPair], columns: [IndexedPair], part: KeyPath<TangentKernel, Matrix> = \.full)
        -> Matrix
    {
        let kernel = self[keyPath: part]
        var result = Matrix(rows: rows.count, columns: columns.count)
        for (j, row) in rows.enumerated() {
            for (i, column) in columns.enumerated() {
                result[j, i] = kernel[row.chosen, column.chosen] - kernel[row.chosen, column.rejected]
                    - kernel[row.rejected, column.chosen] + kernel[row.rejected, column.rejected]
            }
        }
        return result
    }
}
