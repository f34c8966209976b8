import Foundation
import LinearAlgebra
import RewardDynamics

/// The IM-RM parameter-space step taken apart into its phases, for `theorycheck bench --phases`.
///
/// It repeats what `ImplicitRewardModel.step` does, through the same public pieces and into buffers
/// allocated once, and times each piece: the two gemms (the FLOPs) against the elementwise work around
/// them (row log-sum-exp, rewards and Bradley-Terry weights, exp in the gradient rows). It is a profiling
/// aid and mirrors the step by hand, so keep it in line with `ImplicitRewardModel.step` when that changes.
struct BenchmarkPhases {
    struct Timings: Sendable {
        var logits = Double.infinity
        var logSumExp = Double.infinity
        var rewards = Double.infinity
        var gradientRows = Double.infinity
        var update = Double.infinity

        var total: Double { logits + logSumExp + rewards + gradientRows + update }
    }

    /// Best time of each phase over `repeats` rounds (after one warm-up round).
    static func measure(size: BenchmarkSize, seed: UInt64, repeats: Int, learningRate: Double) throws -> Timings {
        let instance = try size.instance(seed: seed)
        let layout = SequenceLayout(instance)
        let trainContexts = layout.contexts.selectingRows(layout.trainContextRows)
        var unembedding = instance.unembedding
        var logits = Matrix(rows: layout.contextCount, columns: instance.vocabularySize)
        var g = Matrix(rows: layout.trainContextRows.count, columns: instance.vocabularySize)
        var best = Timings()
        for round in 0...repeats {
            var current = Timings()
            current.logits = BenchmarkTiming.seconds {
                BLAS.gemm(layout.contexts, unembedding, transposeB: true, into: &logits)
            }
            var readout: ImplicitReadout?
            current.logSumExp = BenchmarkTiming.seconds {
                readout = ImplicitReadout(logits: logits, tokens: layout.contextTokens)
            }
            var gradient: BradleyTerryGradient?
            current.rewards = BenchmarkTiming.seconds {
                let rewards = readout!.rewards(layout: layout, referenceLogProbabilities: nil, beta: instance.beta)
                gradient = BradleyTerryGradient(rewards: rewards, pairs: layout.trainPairs)
            }
            current.gradientRows = BenchmarkTiming.seconds {
                readout!.writeGradientRows(
                    logits: logits, rows: layout.trainContextRows, tokens: layout.contextTokens,
                    contextSequence: layout.contextSequence, sequenceCoefficients: gradient!.sequenceCoefficients,
                    into: &g)
            }
            current.update = BenchmarkTiming.seconds {
                BLAS.gemm(g, transposeA: true, trainContexts,
                          alpha: learningRate * instance.beta / Double(layout.trainPairs.count), beta: 1,
                          into: &unembedding)
            }
            if round == 0 { continue }
            best.logits = min(best.logits, current.logits)
            best.logSumExp = min(best.logSumExp, current.logSumExp)
            best.rewards = min(best.rewards, current.rewards)
            best.gradientRows = min(best.gradientRows, current.gradientRows)
            best.update = min(best.update, current.update)
        }
        return best
    }

    static func render(_ timings: Timings, size: BenchmarkSize) -> String {
        func cell(_ name: String, _ seconds: Double) -> String {
            String(format: "%@ %.3e s (%.0f%%)", name, seconds, 100 * seconds / timings.total)
        }
        return "\(size.name) im_rm step phases: " + [
            cell("logits gemm", timings.logits), cell("log-sum-exp", timings.logSumExp),
            cell("rewards", timings.rewards), cell("gradient rows", timings.gradientRows),
            cell("update gemm", timings.update),
        ].joined(separator: ", ")
    }
}
