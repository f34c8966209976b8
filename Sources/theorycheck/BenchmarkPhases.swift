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
        var logits = Matrix(rows: layout.contextCount, columns: w.rows)
        var g = Matrix(rows: layout.trainContextRows.count, columns: w.rows)
        var update = w
        for round in 0..<3 {
            let tLogits = BenchmarkTiming.seconds { BLAS.gemm(layout.contexts, w, transposeB: true, into: &logits) }
            if round == 2 { usleep(500_000) }
            var readout: ImplicitReadout? = nil
            let tReadout = BenchmarkTiming.seconds {
                readout = ImplicitReadout(logits: logits, tokens: layout.contextTokens)
            }
            var gradient: BradleyTerryGradient? = nil
            let tRewards = BenchmarkTiming.seconds {
                let rewards = readout!.rewards(layout: layout, referenceLogProbabilities: nil, beta: instance.beta)
                gradient = BradleyTerryGradient(rewards: rewards, pairs: layout.trainPairs)
            }
            let tRows = BenchmarkTiming.seconds {
                readout!.writeGradientRows(
                    logits: logits, rows: layout.trainContextRows, tokens: layout.contextTokens,
                    contextSequence: layout.contextSequence, sequenceCoefficients: gradient!.sequenceCoefficients,
                    into: &g)
            }
            let tUpdate = BenchmarkTiming.seconds {
                BLAS.gemm(g, transposeA: true, trainContexts, alpha: 0.1, beta: 1, into: &update)
            }
            var serial = [Double](repeating: 0, count: logits.rows)
            let tSerialLSE = BenchmarkTiming.seconds {
                logits.elements.withUnsafeBufferPointer { p in
                    for i in 0..<logits.rows {
                        serial[i] = StableMath.logSumExp(UnsafeBufferPointer(rebasing: p[(i * logits.columns)..<((i + 1) * logits.columns)]))
                    }
                }
            }
            lines.append(String(format: "%@ round %d%@: logits %.3f  readout %.3f  rewards %.4f  gradientRows %.3f  update %.3f  (serial LSE %.3f)",
                                size.name, round, round == 2 ? " (sleep before readout)" : "", tLogits, tReadout, tRewards, tRows, tUpdate, tSerialLSE))
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
