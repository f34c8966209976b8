import Foundation
import LinearAlgebra
import RewardDynamics
import Tasks
import TheorycheckCore
import TinyLM

/// The figures of one trained reward model.
public struct HamiltonianRewardModelOutcome: Sendable, Equatable, Codable {
    public let trainBefore: PairMetrics
    public let testBefore: PairMetrics
    public let train: PairMetrics
    /// On the validation graphs (nil without a validation split): the figure settings are chosen on.
    public let validation: PairMetrics?
    public let test: PairMetrics
    /// On the test graphs that are not also training graphs (nil when every test graph is one): small N
    /// repeats graphs, and a repeated graph can be ranked from memory.
    public let testUnseen: PairMetrics?
    /// Mean Bradley-Terry batch loss over each tenth of the steps (fewer entries with fewer than 10 steps).
    public let lossByTenth: [Double]
    /// The IM-RM only: its policy's sampled answers on the test graphs before (pi = pi_ref) and after
    /// training, and the exact probability pi(C | x) it gives the valid cycles, averaged over test graphs.
    public let generationBefore: HamiltonianCyclesGeneration.Result?
    public let generationAfter: HamiltonianCyclesGeneration.Result?
    public let validMassBefore: Double?
    public let validMassAfter: Double?

    enum CodingKeys: String, CodingKey {
        case trainAccuracy
        case validationAccuracy
        case testAccuracy
        case testUnseenAccuracy
        case trainBefore
        case testBefore
        case train, validation, test, testUnseen
        case lossByTenth
        case generationValidFraction
        case generationBefore
        case generationAfter
        case validMass = "valid_probability_mass"
    }

    struct BeforeAfter: Codable {
        let before: Double
        let after: Double
    }

    public init(trainBefore: PairMetrics, testBefore: PairMetrics, train: PairMetrics, validation: PairMetrics?,
                test: PairMetrics, testUnseen: PairMetrics?, lossByTenth: [Double],
                generationBefore: HamiltonianCyclesGeneration.Result?, generationAfter: HamiltonianCyclesGeneration.Result?,
                validMassBefore: Double?, validMassAfter: Double?)
    {
        self.trainBefore = trainBefore
        self.testBefore = testBefore
        self.train = train
        self.validation = validation
        self.test = test
        self.testUnseen = testUnseen
        self.lossByTenth = lossByTenth
        self.generationBefore = generationBefore
        self.generationAfter = generationAfter
        self.validMassBefore = validMassBefore
        self.validMassAfter = validMassAfter
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        trainBefore = try container.decode(PairMetrics.self, forKey: .trainBefore)
        testBefore = try container.decode(PairMetrics.self, forKey: .testBefore)
        train = try container.decode(PairMetrics.self, forKey: .train)
        validation = try container.decodeIfPresent(PairMetrics.self, forKey: .validation)
        test = try container.decode(PairMetrics.self, forKey: .test)
        testUnseen = try container.decodeIfPresent(PairMetrics.self, forKey: .testUnseen)
        lossByTenth = try container.decode([Double].self, forKey: .lossByTenth)
        generationBefore = try container.decodeIfPresent(HamiltonianCyclesGeneration.Result.self, forKey: .generationBefore)
        generationAfter = try container.decodeIfPresent(HamiltonianCyclesGeneration.Result.self, forKey: .generationAfter)
        let mass = try container.decodeIfPresent(BeforeAfter.self, forKey: .validMass)
        validMassBefore = mass?.before
        validMassAfter = mass?.after
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeFigure(train.accuracy, forKey: .trainAccuracy)
        try container.encodeFigure(validation?.accuracy, forKey: .validationAccuracy)
        try container.encodeFigure(test.accuracy, forKey: .testAccuracy)
        try container.encodeFigure(testUnseen?.accuracy, forKey: .testUnseenAccuracy)
        try container.encode(trainBefore, forKey: .trainBefore)
        try container.encode(testBefore, forKey: .testBefore)
        try container.encode(train, forKey: .train)
        try container.encodeIfPresent(validation, forKey: .validation)
        try container.encode(test, forKey: .test)
        try container.encodeIfPresent(testUnseen, forKey: .testUnseen)
        try container.encode(lossByTenth, forKey: .lossByTenth)
        if let generationBefore, let generationAfter {
            try container.encode(BeforeAfter(before: generationBefore.validFraction, after: generationAfter.validFraction),
                                 forKey: .generationValidFraction)
            try container.encode(generationBefore, forKey: .generationBefore)
            try container.encode(generationAfter, forKey: .generationAfter)
        }
        if let validMassBefore, let validMassAfter {
            try container.encode(BeforeAfter(before: validMassBefore, after: validMassAfter), forKey: .validMass)
        }
    }
}
