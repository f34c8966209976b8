import Autodiff
import LinearAlgebra
import TestSupport
import TinyLM
import XCTest

/// The model in float32 against float64, and on several threads against one.
final class TinyLMPrecisionAndThreadsTests: XCTestCase {
    private let sequences = [[0, 3, 5, 2, 6], [0, 4, 1], [0, 6, 6, 2, 1, 3], [0, 2]]

    private func lossAndGradients(_ model: TinyLM, precision: Precision, threads: Int) throws -> (Double, [Matrix]) {
        let tape = Tape(precision: precision, threads: threads)
        let pass = try model.forward(try TokenBatch(sequences), on: tape)
        let loss = pass.nextTokenLoss(on: tape)
        return (tape.scalar(loss), pass.parameters.gradients(from: tape.gradients(of: loss)))
    }

    func testGradientsDoNotDependOnTheThreadCount() throws {
        let model = try gradientCheckModel()
        for precision in Precision.allCases {
            let (loss, gradients) = try lossAndGradients(model, precision: precision, threads: 1)
            for threads in [2, 4] {
                let (parallelLoss, parallelGradients) = try lossAndGradients(model, precision: precision, threads: threads)
                XCTAssertEqual(parallelLoss, loss, "\(precision), \(threads) threads")
                XCTAssertEqual(parallelGradients, gradients, "\(precision), \(threads) threads")
            }
        }
    }

    /// Two transformer blocks deep, every value passes through about 40 roundings and sums of up to 12
    /// terms; at u = 2^-24 (6e-8) the float32 loss and gradients should agree with float64 to about 1e-6
    /// relative (measured: below 5e-7 for every parameter). 1e-4 relative to each gradient's largest entry
    /// is a bound no correct float32 pass comes near, and a wrong pullback misses by O(1).
    func testFloat32LossAndGradientsAgreeWithFloat64() throws {
        let model = try gradientCheckModel()
        let (loss, gradients) = try lossAndGradients(model, precision: .float64, threads: 1)
        let (singleLoss, singleGradients) = try lossAndGradients(model, precision: .float32, threads: 1)
        XCTAssertEqual(singleLoss, loss, accuracy: 1e-4 * abs(loss))
        XCTAssertNotEqual(singleLoss, loss, "the float32 pass must actually round")
        for (index, name) in model.parameters.names.enumerated() {
            let error = (singleGradients[index] - gradients[index]).maxAbs / max(gradients[index].maxAbs, 1e-300)
            XCTAssertLessThan(error, 1e-4, name)
        }
    }

    func testTheConfigurationsPrecisionAndTheModelsThreadsReachItsTapes() throws {
        var configuration = TinyLMConfiguration.tiny(vocabularySize: 7)
        XCTAssertEqual(configuration.precision, .float64, "float64 unless asked")
        configuration.precision = .float32
        var model = try TinyLM(configuration: configuration, seed: 1)
        model.threads = 3
        let tape = model.makeTape()
        XCTAssertEqual(tape.precision, .float32)
        XCTAssertEqual(tape.threads, 3)
    }

    func testFloat32PretrainingLowersTheLossLikeFloat64() throws {
        // The same 30 Adam steps in both precisions: the float32 run follows the float64 one closely
        // (Adam divides by the gradient's scale, so early steps are near sign(g) in both).
        var configuration = TinyLMConfiguration.tiny(vocabularySize: 7)
        let batch = try TokenBatch(sequences)
        var losses: [Precision: [Double]] = [:]
        for precision in Precision.allCases {
            configuration.precision = precision
            var model = try TinyLM(configuration: configuration, seed: 2)
            var adam = Adam(AdamConfiguration(learningRate: 1e-2))
            losses[precision] = try (0..<30).map { _ in try model.trainNextToken(on: batch, optimizer: &adam) }
        }
        let exact = try XCTUnwrap(losses[.float64])
        let single = try XCTUnwrap(losses[.float32])
        XCTAssertLessThan(exact.last!, exact.first! - 0.5)
        for (a, b) in zip(single, exact) { XCTAssertEqual(a, b, accuracy: 1e-3 * b) }
    }

    func testTheReadOutIsRecordedOnlyWhenAskedFor() throws {
        let model = try gradientCheckModel(layers: 1)
        let tape = Tape()
        let pass = try model.forward(try TokenBatch(sequences), on: tape, differentiable: false)
        let nodes = tape.count
        _ = pass.lastHidden(on: tape)
        XCTAssertEqual(tape.count, nodes + 1, "an EX-RM's features need no logits")
        let logProbabilities = pass.logProbabilities
        XCTAssertEqual(tape.count, nodes + 3, "logits, then their log-softmax")
        XCTAssertEqual(pass.logProbabilities, logProbabilities, "recorded once")
        XCTAssertEqual(tape.value(logProbabilities).rows, 4 * 6)
    }
}
