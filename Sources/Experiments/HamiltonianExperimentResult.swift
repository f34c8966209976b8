import Foundation
import LinearAlgebra
import RewardDynamics
import Tasks
import TheorycheckCore
import TinyLM

/// Everything one run of the experiment measured.
public struct HamiltonianExperimentResult: Sendable, Equatable, Codable {
    public let config: HamiltonianExperimentConfig
    /// The lookup pretraining's loss -ln pi(answer | prompt), mean over each tenth (empty without it).
    public let lookupLossByTenth: [Double]
    /// Graphs each reward model trained on, and validation graphs carved from the training graphs
    /// (`HamiltonianCyclesValidationSplit`), and training graphs dropped for repeating a validation graph.
    public let trainGraphCount: Int
    public let validationGraphCount: Int
    public let droppedTrainGraphs: Int
    /// Test graphs that are also training graphs (small N repeats graphs; `testUnseen` leaves them out).
    public let testGraphsSeenInTraining: Int
    /// The supervised loss -ln pi_ref(y | x) on random permutations, mean over each tenth of the steps;
    /// ln N! is the floor, reached by a model that answers uniformly random permutations.
    public let referenceLossByTenth: [Double]
    /// Exact chance figures on the test graphs (see `HamiltonianCyclesGeneration`).
    public let randomPermutationChance: Double
    public let uniformTokenChance: Double
    public let implicitReward: HamiltonianRewardModelOutcome
    public let explicitReward: HamiltonianRewardModelOutcome

    /// The paper's figures (Sec. 3.2, Pythia-1B IM-RM, N = 10, p = 0.2).
    public static let paperTestAccuracy = 0.993
    public static let paperGenerationValidFraction = 0.0

    enum CodingKeys: String, CodingKey {
        case config
        case lookupLossByTenth
        case trainGraphCount = "train_graphs"
        case validationGraphCount = "validation_graphs"
        case droppedTrainGraphs = "dropped_train_graphs"
        case testGraphsSeenInTraining = "test_graphs_seen_in_training"
        case referenceLossByTenth
        case randomPermutationChance
        case uniformTokenChance
        case implicitReward = "im_rm"
        case explicitReward = "ex_rm"
    }
}
