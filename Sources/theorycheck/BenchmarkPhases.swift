import Foundation
import LinearAlgebra
import RewardDynamics

/// TEMPORARY profiling aid: the IM-RM parameter step split into its phases through public APIs.
struct BenchmarkPhases {
    static func profile(size: BenchmarkSize, seed: UInt64) throws -> String {
        let instance = try size.instance(seed: seed)
        let layout = SequenceLayout(instance)
        let w = instance.unembedding
        let trainContexts = layout.contexts.selectingRows(layout.trainContextRows)
        var lines: [String] = []
        for round in 0..<2 {
            var logits = Matrix(rows: 0, columns: 0)
            let tLogits = BenchmarkTiming.seconds { logits = BLAS.product(layout.contexts, w, transposeB: true) }
            var readout: ImplicitReadout? = nil
            let tReadout = BenchmarkTiming.seconds {
                readout = ImplicitReadout(logits: logits, tokens: layout.contextTokens)
            }
            var gradient: BradleyTerryGradient? = nil
            let tRewards = BenchmarkTiming.seconds {
                let rewards = readout!.rewards(layout: layout, referenceLogProbabilities: nil, beta: instance.beta)
                gradient = BradleyTerryGradient(rewards: rewards, pairs: layout.trainPairs)
            }
            var g = Matrix(rows: 0, columns: 0)
            let tRows = BenchmarkTiming.seconds {
                g = readout!.gradientRows(
                    logits: logits, rows: layout.trainContextRows, tokens: layout.contextTokens,
                    contextSequence: layout.contextSequence, sequenceCoefficients: gradient!.sequenceCoefficients)
            }
            var update = w
            let tUpdate = BenchmarkTiming.seconds {
                BLAS.gemm(g, transposeA: true, trainContexts, alpha: 0.1, beta: 1, into: &update)
            }
            var freshZero = Matrix(rows: 0, columns: 0)
            let tAlloc = BenchmarkTiming.seconds { freshZero = Matrix(rows: logits.rows, columns: logits.columns) }
            _ = freshZero.rows
            lines.append(String(format: "%@ round %d: logits %.3f  readout %.3f  rewards %.4f  gradientRows %.3f  update %.3f  (alloc+zero %.3f)",
                                size.name, round, tLogits, tReadout, tRewards, tRows, tUpdate, tAlloc))
        }
        return lines.joined(separator: "\n")
    }
}

/// TEMPORARY: bit-level fingerprints of a few steps, to check that optimizations change no result.
struct BenchmarkFingerprint {
    static func run(size: BenchmarkSize, seed: UInt64) throws -> String {
        let instance = try size.instance(seed: seed)
        let layout = SequenceLayout(instance)
        func hash(_ values: [Double]) -> String {
            var h: UInt64 = 1469598103934665603
            for v in values { h = (h ^ v.bitPattern) &* 1099511628211 }
            return String(h, radix: 16)
        }
        var lines: [String] = []
        var model = ImplicitRewardModel(instance: instance, layout: layout, reference: .frozenInitial)
        var dynamics = ImplicitRewardDynamics(instance: instance, layout: layout, reference: .frozenInitial)
        for _ in 0..<3 {
            let a = model.step(learningRate: 0.5)
            let b = dynamics.step(learningRate: 0.5)
            lines.append("im param rewards \(hash(a.rewards)) loss \(a.loss)  function rewards \(hash(b.rewards)) loss \(b.loss)")
        }
        lines.append("im W \(hash(model.unembedding.elements)) rewards \(hash(model.rewards())) logits \(hash(dynamics.logits.elements)) rewards \(hash(dynamics.rewards()))")
        let prediction = dynamics.firstOrderPrediction(learningRate: 0.5)
        lines.append("first order \(hash(prediction.predicted)) \(hash(prediction.tokenIdentity)) \(hash(prediction.competition))")
        return lines.joined(separator: "\n")
    }
}
