import Foundation
import LinearAlgebra
import RewardDynamics

/// How much of the IM-RM parameter-space step is its matrix products, for `theorycheck bench --phases`.
///
/// Times the library's own step (`ImplicitRewardModel.step`, through `BenchmarkCase.makeStepper`, never a
/// copy of it), then its two gemms alone at the same shapes on matrices of the same size: the logits
/// H W^T (contexts x d by d x V) and the update G^T H_train (V x N_tr by N_tr x d). The difference is the
/// elementwise work around them (row log-sum-exp, rewards and Bradley-Terry weights, exp in the gradient
/// rows), which the step's cost model does not count.
struct BenchmarkPhases {
    struct Timings: Sendable, Encodable {
        var step: Double
        var logits: Double
        var update: Double

        var products: Double { logits + update }
        var elementwise: Double { max(0, step - products) }

        private enum CodingKeys: String, CodingKey {
            case stepSeconds, logitsSeconds, updateSeconds, productsSeconds, elementwiseSeconds
        }

        /// Seconds per step of each phase (`--phases --json`).
        func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(step, forKey: .stepSeconds)
            try container.encode(logits, forKey: .logitsSeconds)
            try container.encode(update, forKey: .updateSeconds)
            try container.encode(products, forKey: .productsSeconds)
            try container.encode(elementwise, forKey: .elementwiseSeconds)
        }
    }

    /// One size's phases, as `bench --phases --json` lists them.
    struct SizeTimings: Encodable {
        let size: BenchmarkSize
        let timings: Timings
    }

    /// Best times over `repeats` samples (after a warm-up each).
    static func measure(size: BenchmarkSize, seed: UInt64, timing: BenchmarkTiming, learningRate: Double) throws
        -> Timings
    {
        let instance = try size.instance(seed: seed)
        let layout = SequenceLayout(instance)
        let shape = BenchmarkShape(instance: instance, layout: layout)
        let step = try timing.measure(BenchmarkCase.implicitParameterSpace.makeStepper(
            instance: instance, layout: layout, learningRate: learningRate)).best
        var generator = SeededGenerator(seed: seed &+ 1)
        let contexts = layout.contexts  // contexts x d
        let gradientRows = GaussianSampling.matrix(rows: shape.trainContexts, columns: shape.vocabularySize,
                                                   using: &generator)  // N_tr x V
        let trainContexts = GaussianSampling.matrix(rows: shape.trainContexts, columns: shape.hiddenWidth,
                                                    using: &generator)  // N_tr x d
        var logits = Matrix(rows: shape.contexts, columns: shape.vocabularySize)
        var unembedding = instance.unembedding  // V x d
        let logitsTime = timing.measure {
            BLAS.gemm(contexts, instance.unembedding, transposeB: true, into: &logits)
        }.best
        let updateTime = timing.measure {
            BLAS.gemm(gradientRows, transposeA: true, trainContexts, alpha: 1e-3, beta: 1, into: &unembedding)
        }.best
        return Timings(step: step, logits: logitsTime, update: updateTime)
    }

    static func render(_ timings: Timings, size: BenchmarkSize) -> String {
        func cell(_ name: String, _ seconds: Double) -> String {
            String(format: "%@ %.3e s (%.0f%%)", name, seconds, 100 * seconds / timings.step)
        }
        return "\(size.name) im_rm step \(String(format: "%.3e", timings.step)) s: " + [
            cell("logits gemm", timings.logits), cell("update gemm", timings.update),
            cell("everything else", timings.elementwise),
        ].joined(separator: ", ")
    }
}
