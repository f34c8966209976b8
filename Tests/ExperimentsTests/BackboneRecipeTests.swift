import Experiments
import Foundation
import TheorycheckCore
import TinyLM
import XCTest

/// Every configuration that holds a `BackboneRecipe` writes its fields flat, as before the recipe existed,
/// and reads them back.
final class BackboneRecipeTests: XCTestCase {
    private func keys<T: Encodable>(_ value: T) throws -> Set<String> {
        let object = try JSONSerialization.jsonObject(with: Data(try JSONOutput.encode(value).utf8))
        return Set((object as! [String: Any]).keys)
    }

    private func roundTrip<T: Codable & Equatable>(_ value: T) throws -> T {
        try JSONDecoder().decode(T.self, from: JSONEncoder().encode(value))
    }

    func testPersonaWritesTheBackboneFlatWithItsPrecision() throws {
        var configuration = PersonaConfiguration.quick
        configuration.backbone.precision = .float32
        let keys = try keys(configuration)
        XCTAssert(keys.isSuperset(of: ["width", "layers", "heads", "context_length", "pretraining", "precision", "seeds"]))
        XCTAssertFalse(keys.contains("backbone"))
        XCTAssertEqual(try roundTrip(configuration), configuration)
    }

    func testTheDescentSettingsWriteTheBackboneFlatWithoutPrecision() throws {
        var dynamics = TinyLMDynamicsConfiguration.quick
        dynamics.implicitLearningRate = 2
        var mechanism = MechanismConfiguration()
        mechanism.backbone.width = 16
        for keys in [try keys(dynamics), try keys(mechanism)] {
            XCTAssert(keys.isSuperset(of: ["width", "layers", "heads", "context_length", "pretraining", "steps", "seed"]))
            XCTAssertFalse(keys.contains("backbone") || keys.contains("precision") || keys.contains("setting"))
        }
        XCTAssertEqual(try roundTrip(dynamics), dynamics)
        XCTAssertEqual(try roundTrip(mechanism), mechanism)
        XCTAssertEqual(mechanism.backbone, { var b = BackboneRecipe.dynamics; b.width = 16; return b }())
    }

    func testHamiltonianKeepsItsReferenceFieldsAndDerivesTheContext() throws {
        var config = HamiltonianExperimentConfig.quick
        XCTAssertEqual(config.backbone.contextLength, HamiltonianExperimentConfig.contextLength(for: config.task))
        config.task.vertexCount = 6
        XCTAssertEqual(config.backbone.contextLength, 3 * 15 + 7, "the context follows the task")
        let keys = try keys(config)
        XCTAssertEqual(keys, ["task", "prompt_format", "validation_count", "lookup_steps", "lookup_learning_rate", "width", "layers", "heads", "precision",
                              "reference_steps", "reference_batch_size", "reference_learning_rate", "im_rm_training",
                              "ex_rm_training", "generation", "seed", "seed_count"])
        XCTAssertEqual(try roundTrip(config), config)
    }

    func testTheDescentSettingsRefuseAFloat32Backbone() {
        var configuration = TinyLMDynamicsConfiguration.quick
        configuration.backbone.precision = .float32
        XCTAssertThrowsError(try configuration.validate()) { error in
            XCTAssert("\(error)".contains("float64"), "\(error)")
        }
    }
}
