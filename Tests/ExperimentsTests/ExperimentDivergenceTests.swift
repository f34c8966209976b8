import Foundation
import Experiments
import LinearAlgebra
import TheorycheckCore
import TinyLM
import TestSupport
import XCTest

/// The language-model experiments stop with a `DivergenceError` instead of reporting figures of NaNs.
final class ExperimentDivergenceTests: XCTestCase {

    func testHamiltonianReferenceTrainingWithAHugeRateIsReportedNotSampled() {
        var config = HamiltonianExperimentConfig.quick
        config.backbone.pretraining.adam.learningRate = 1e100
        let error = expectDivergence { _ = try HamiltonianExperiment(config).run() }
        XCTAssertEqual(error?.model, HamiltonianExperiment.referenceLabel)
        XCTAssertEqual(error?.cause, .learningRateTooLarge(1e100))
    }

    func testHamiltonianSamplingAtATemperatureThatOverflowsIsAnErrorNotAnAssertion() {
        var config = HamiltonianExperimentConfig.quick
        config.generation.temperature = 1e-320
        let error = expectDivergence { _ = try HamiltonianExperiment(config).run() }
        XCTAssertEqual(error?.cause, .temperatureTooSmall(1e-320))
    }

    func testTheTinyLMDynamicsDerivedRateIsChecked() {
        var configuration = TinyLMDynamicsConfiguration.quick
        configuration.beta = 1e-320  // lr / beta overflows
        let error = expectDivergence { try configuration.validate() }
        XCTAssertEqual(error?.cause, .betaTooSmall(1e-320))
        XCTAssertEqual(error?.quantity, .learningRate)
        XCTAssertNoThrow(try TinyLMDynamicsConfiguration.quick.validate())
    }

    func testPredictionAgreementOfNaNChangesIsNaNNotAPerfectScore() {
        // Before: a NaN error made `actualSquared > 0` false and `errorSquared > 0` false: relative error 0.
        let agreement = PredictionAgreement(predicted: [1, .nan, 2], actual: [1, 2, 2])
        XCTAssertTrue(agreement.relativeError.isNaN)
        XCTAssertTrue(agreement.correlation.isNaN)
        let actualNaN = PredictionAgreement(predicted: [1, 2, 3], actual: [.nan, .nan, .nan])
        XCTAssertTrue(actualNaN.relativeError.isNaN)
        XCTAssertEqual(PredictionAgreement(predicted: [0, 0], actual: [0, 0]).relativeError, 0)
    }
}
