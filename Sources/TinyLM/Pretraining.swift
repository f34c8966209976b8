import Autodiff
import LinearAlgebra
import TheorycheckCore

/// How to pretrain a `TinyLM` on a grammar's corpus. Codable so every run can print what it used.
public struct PretrainingConfiguration: Codable, Equatable, Sendable {
    /// Adam steps; 600 takes the small model close to the grammar's entropy (a few seconds in release).
    public var steps: Int
    /// Documents per step; 32 as in the timing target of the project.
    public var batchSize: Int
    /// Distinct training documents drawn from the grammar; 2000 of its 11520 documents, so the held-out
    /// set can be kept disjoint.
    public var trainingDocuments: Int
    /// Held-out documents, none of which is a training document.
    public var heldOutDocuments: Int
    /// Seeds the corpus, the held-out set and the batch order (not the model's initialization).
    public var seed: UInt64
    public var adam: AdamConfiguration

    public init(steps: Int = 600, batchSize: Int = 32, trainingDocuments: Int = 2000, heldOutDocuments: Int = 200,
                seed: UInt64 = 0, adam: AdamConfiguration = AdamConfiguration())
    {
        self.steps = steps
        self.batchSize = batchSize
        self.trainingDocuments = trainingDocuments
        self.heldOutDocuments = heldOutDocuments
        self.seed = seed
        self.adam = adam
    }

    /// A few steps on a small corpus: enough to see the held-out loss fall, cheap in a debug build.
    public static let quick = PretrainingConfiguration(steps: 30, batchSize: 8, trainingDocuments: 200,
                                                       heldOutDocuments: 40)

    public func validate() throws {
        if steps < 0 { throw ConfigurationError("steps is \(steps); it must be 0 or more") }
        if batchSize < 1 { throw ConfigurationError("batchSize is \(batchSize); it must be at least 1") }
        if trainingDocuments < 1 || heldOutDocuments < 1 {
            throw ConfigurationError("trainingDocuments and heldOutDocuments must both be at least 1")
        }
        if !(adam.learningRate > 0 && adam.learningRate.isFinite) {
            throw ConfigurationError("the Adam learning rate is \(adam.learningRate); it must be positive")
        }
    }
}

/// Training and held-out documents (token ids, <bos> ... <eos>) drawn from a grammar.
public struct PretrainingCorpus: Sendable, Equatable {
    public let tokenizer: WordTokenizer
    public let training: [[Int]]
    public let heldOut: [[Int]]

    /// Draws `trainingDocuments` documents (repeats allowed, as in any sample), then `heldOutDocuments`
    /// documents that are not among them. Throws if the grammar is too small to give that many new ones.
    public init(grammar: Grammar, configuration: PretrainingConfiguration) throws {
        try configuration.validate()
        let tokenizer = grammar.tokenizer()
        var seeds = SeededGenerator(seed: configuration.seed)
        var trainingGenerator = SeededGenerator(seed: seeds.next())
        var heldOutGenerator = SeededGenerator(seed: seeds.next())
        let training = try grammar.sampleDocuments(count: configuration.trainingDocuments, tokenizer: tokenizer,
                                                   using: &trainingGenerator)
        let seen = Set(training)
        var heldOut: [[Int]] = []
        var attempts = 0
        while heldOut.count < configuration.heldOutDocuments {
            attempts += 1
            if attempts > 100 * configuration.heldOutDocuments {
                throw ConfigurationError(
                    "the grammar gave only \(heldOut.count) documents outside the training set; lower trainingDocuments or heldOutDocuments")
            }
            let document = try tokenizer.encodeDocument(grammar.sample(using: &heldOutGenerator))
            if !seen.contains(document) { heldOut.append(document) }
        }
        self.tokenizer = tokenizer
        self.training = training
        self.heldOut = heldOut
    }
}

/// The outcome of `Pretraining.run`.
public struct PretrainingResult: Sendable {
    public let model: TinyLM
    /// The mean next-token loss of each step's batch, before that step's update.
    public let trainingLosses: [Double]
    public let heldOutLossBefore: Double
    public let heldOutLossAfter: Double
    /// The model after each step count asked for in `Pretraining.run(...snapshotsAt:)`, in that order.
    public let snapshots: [PretrainingSnapshot]
}

/// The backbone of one pretraining run as it was after `steps` Adam steps, and its held-out loss then.
///
/// A snapshot of a run of S steps taken at s <= S is bit-identical to the final model of a run of s
/// steps with the same configuration otherwise: the batches come from one seeded stream drawn in step
/// order and Adam's state depends only on the steps already taken (tested in `PretrainingTests`).
public struct PretrainingSnapshot: Sendable {
    public let steps: Int
    public let model: TinyLM
    public let heldOutLoss: Double
}

extension TinyLM {
    /// One optimizer step on the mean next-token loss of `batch`; returns the loss before the update.
    @discardableResult
    public mutating func trainNextToken(on batch: TokenBatch, optimizer: inout some Optimizer) throws -> Double {
        let tape = makeTape()
        let pass = try forward(batch, on: tape)
        let loss = pass.nextTokenLoss(on: tape)  // 1 x 1
        let gradients = pass.parameters.gradients(from: tape.gradients(of: loss))
        optimizer.step(&parameters, gradients: gradients)
        return tape.scalar(loss)
    }
}

/// Next-token pretraining with Adam on batches drawn (with replacement, seeded) from the corpus.
///
/// Throws `DivergenceError` (model "pretraining") as soon as a step's loss or a parameter after it is not
/// finite, and when a held-out loss is not finite.
public enum Pretraining {
    /// The name in a `DivergenceError`.
    public static let label = "pretraining"

    /// Runs `configuration.steps` steps. `snapshotsAt` (each in 0...steps) asks for copies of the model
    /// along the way, with their held-out loss: one run then serves every shorter pretraining length
    /// (step 0 is the initial model).
    public static func run(model: TinyLM, corpus: PretrainingCorpus, configuration: PretrainingConfiguration,
                           snapshotsAt snapshotSteps: [Int] = []) throws -> PretrainingResult
    {
        try configuration.validate()
        if corpus.tokenizer.count != model.configuration.vocabularySize {
            throw ConfigurationError(
                "the model's vocabularySize is \(model.configuration.vocabularySize) but the corpus has \(corpus.tokenizer.count) tokens; build the configuration from the corpus's tokenizer")
        }
        if let outside = snapshotSteps.first(where: { !(0...configuration.steps).contains($0) }) {
            throw ConfigurationError(
                "a pretraining snapshot at step \(outside) lies outside the run's 0...\(configuration.steps) steps")
        }
        var trained = model
        var optimizer = Adam(configuration.adam)
        var seeds = SeededGenerator(seed: configuration.seed)
        _ = seeds.next()
        _ = seeds.next()
        var batchGenerator = SeededGenerator(seed: seeds.next())  // the third stream, after the corpus's two
        let cause = DivergenceError.Cause.learningRateTooLarge(configuration.adam.learningRate)
        let before = try trained.meanNextTokenLoss(corpus.heldOut)
        try DivergenceError.check(before, .loss, model: label, step: 0, cause: .modelNotFinite)
        var taken: [Int: PretrainingSnapshot] = [:]
        func snapshot(_ step: Int, heldOutLoss: Double? = nil) throws {
            guard snapshotSteps.contains(step), taken[step] == nil else { return }
            taken[step] = PretrainingSnapshot(steps: step, model: trained,
                                              heldOutLoss: try heldOutLoss ?? trained.meanNextTokenLoss(corpus.heldOut))
        }
        try snapshot(0, heldOutLoss: before)
        var losses: [Double] = []
        losses.reserveCapacity(configuration.steps)
        for step in 0..<configuration.steps {
            let documents = (0..<configuration.batchSize).map { _ in
                corpus.training[Int.random(in: 0..<corpus.training.count, using: &batchGenerator)]
            }
            let loss = try trained.trainNextToken(on: TokenBatch(documents), optimizer: &optimizer)
            try DivergenceError.check(loss, .loss, model: label, step: step, cause: cause)
            try trained.parameters.checkFinite(model: label, step: step + 1, cause: cause)
            losses.append(loss)
            try snapshot(step + 1)
        }
        let after = try trained.meanNextTokenLoss(corpus.heldOut)
        try DivergenceError.check(after, .loss, model: label, step: configuration.steps, cause: cause)
        return PretrainingResult(model: trained, trainingLosses: losses, heldOutLossBefore: before, heldOutLossAfter: after,
                                 snapshots: snapshotSteps.map { taken[$0]! })
    }
}
