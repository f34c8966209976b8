import LinearAlgebra
import MaxMargin
import RewardDynamics
import ShiftAnalysis
import Tasks
import TheorycheckCore

/// The alignment x overlap phase diagram of the built-in token-shift task (docs/theory.md §§3-4):
/// for every cell of the grid and every seed, `TokenShiftTask` is built with that representation
/// alignment and token overlap, an EX-RM and an IM-RM are trained on it by `DynamicsExperiment`, and
/// their accuracies on one token-shifted evaluation set (default `paraphrase`) are read at an early step
/// and at the last step, then averaged over seeds.
///
/// The theory's first-order prediction: EX-RM accuracy follows alignment (its kernel is the inner product
/// of whole-sequence representations), IM-RM accuracy follows overlap (its kernel carries the token-identity
/// indicator; with no shared tokens only softmax competition moves the paraphrases, which can push them
/// below chance). The diagram is read at two steps because the IM-RM's far-from-initialization dynamics
/// differ from its first steps (see the report).
///
/// Mathematical properties: at step 0 every accuracy is exactly 0.5 (zero head, W = W_ref); cell means lie
/// in [0, 1]; the same grid and seeds give the same numbers bit for bit.
public struct PhaseDiagram: Sendable {
    public var alignments: [Double]
    public var overlaps: [Double]
    public var seeds: [UInt64]
    /// Steps of training; the final diagram is read here.
    public var steps: Int
    /// The step of the early diagram; the nearest recorded step is used (every step up to 10 is recorded,
    /// then about 30 per decade).
    public var earlyStep: Int
    public var explicitLearningRate: Double
    /// nil: explicitLearningRate / beta^2, as `theorycheck dynamics` does.
    public var implicitLearningRate: Double?
    /// Every setting except alignment, overlap and seed.
    public var baseTask: TokenShiftTask
    /// The evaluation set whose accuracy is shown.
    public var evaluationSet: String

    public init(alignments: [Double], overlaps: [Double], seeds: [UInt64], steps: Int, earlyStep: Int,
                explicitLearningRate: Double, implicitLearningRate: Double? = nil,
                baseTask: TokenShiftTask = .standard, evaluationSet: String = "paraphrase")
    {
        precondition(!alignments.isEmpty && !overlaps.isEmpty && !seeds.isEmpty, "the grid needs at least one cell and seed")
        precondition(steps >= 1 && (0...steps).contains(earlyStep), "need 0 <= earlyStep <= steps, steps >= 1")
        self.alignments = alignments
        self.overlaps = overlaps
        self.seeds = seeds
        self.steps = steps
        self.earlyStep = earlyStep
        self.explicitLearningRate = explicitLearningRate
        self.implicitLearningRate = implicitLearningRate
        self.baseTask = baseTask
        self.evaluationSet = evaluationSet
    }

    /// The recorded step nearest to `earlyStep` (ties go to the earlier one).
    public var recordedEarlyStep: Int {
        let recorded = StepSchedule.trajectory.steps(upTo: steps)
        return recorded.min { abs($0 - earlyStep) < abs($1 - earlyStep) }!
    }

    /// Runs every cell; `progress(done, total)` after each (cell, seed) run. Throws the task's
    /// `InstanceValidationError` for an impossible setting, and `DivergenceError` (naming the cell and
    /// seed) when a learning rate is not finite or a run diverges.
    public func run(progress: (Int, Int) -> Void = { _, _ in }) throws -> PhaseDiagramResult {
        let early = recordedEarlyStep
        let total = alignments.count * overlaps.count * seeds.count
        var done = 0
        var cells: [PhaseDiagramCell] = []
        for alignment in alignments {
            for overlap in overlaps {
                var runs: [PhaseDiagramCell.Run] = []
                for seed in seeds {
                    var task = baseTask
                    task.alignment = alignment
                    task.overlap = overlap
                    task.seed = seed
                    let instance = try task.make()
                    let result: DynamicsResult
                    do throws(DivergenceError) {
                        let implicitRate: Double
                        if let rate = implicitLearningRate {
                            implicitRate = rate
                        } else {
                            implicitRate = try LearningRates.implicitDefault(
                                explicitLearningRate: explicitLearningRate, beta: instance.beta)
                        }
                        let experiment = DynamicsExperiment(
                            steps: steps, explicitLearningRate: explicitLearningRate,
                            implicitLearningRate: implicitRate, kinds: [.explicit, .implicit], checksClosedForms: false)
                        result = try experiment.run(on: instance)
                    } catch {
                        throw error.inContext("alignment \(alignment), overlap \(overlap), seed \(seed)")
                    }
                    func accuracy(_ kind: RewardModelKind, at step: Int) -> Double {
                        let checkpoint = result.trajectory.first { $0.step == step }!
                        return checkpoint.metrics[kind]?[evaluationSet]?.accuracy ?? .nan
                    }
                    runs.append(PhaseDiagramCell.Run(
                        seed: seed,
                        explicitEarly: accuracy(.explicit, at: early), implicitEarly: accuracy(.implicit, at: early),
                        explicitFinal: accuracy(.explicit, at: steps), implicitFinal: accuracy(.implicit, at: steps)))
                    done += 1
                    progress(done, total)
                }
                cells.append(PhaseDiagramCell(alignment: alignment, overlap: overlap, runs: runs))
            }
        }
        return PhaseDiagramResult(alignments: alignments, overlaps: overlaps, seeds: seeds, steps: steps,
                                  earlyStep: early, evaluationSet: evaluationSet, cells: cells)
    }
}

/// One cell of the grid: the per-seed accuracies and their means.
public struct PhaseDiagramCell: Sendable, Encodable {
    public struct Run: Sendable, Encodable {
        public let seed: UInt64
        public let explicitEarly: Double
        public let implicitEarly: Double
        public let explicitFinal: Double
        public let implicitFinal: Double

        enum CodingKeys: String, CodingKey {
            case seed
            case explicitEarly = "ex_rm_early"
            case implicitEarly = "im_rm_early"
            case explicitFinal = "ex_rm_final"
            case implicitFinal = "im_rm_final"
        }
    }

    public let alignment: Double
    public let overlap: Double
    public let runs: [Run]

    private func mean(_ value: (Run) -> Double) -> Double {
        runs.map(value).reduce(0, +) / Double(runs.count)
    }

    public var explicitEarly: Double { mean(\.explicitEarly) }
    public var implicitEarly: Double { mean(\.implicitEarly) }
    public var explicitFinal: Double { mean(\.explicitFinal) }
    public var implicitFinal: Double { mean(\.implicitFinal) }

    enum CodingKeys: String, CodingKey {
        case alignment, overlap, runs
        case explicitEarly = "ex_rm_early"
        case implicitEarly = "im_rm_early"
        case explicitFinal = "ex_rm_final"
        case implicitFinal = "im_rm_final"
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(alignment, forKey: .alignment)
        try container.encode(overlap, forKey: .overlap)
        try container.encode(explicitEarly, forKey: .explicitEarly)
        try container.encode(implicitEarly, forKey: .implicitEarly)
        try container.encode(explicitFinal, forKey: .explicitFinal)
        try container.encode(implicitFinal, forKey: .implicitFinal)
        try container.encode(runs, forKey: .runs)
    }
}

/// Everything `PhaseDiagram.run` measured; cells in alignment-major order.
public struct PhaseDiagramResult: Sendable, Encodable {
    public let alignments: [Double]
    public let overlaps: [Double]
    public let seeds: [UInt64]
    public let steps: Int
    /// The recorded step the early diagram is read at.
    public let earlyStep: Int
    public let evaluationSet: String
    public let cells: [PhaseDiagramCell]

    /// The cell at (alignment index, overlap index).
    public func cell(alignment a: Int, overlap o: Int) -> PhaseDiagramCell {
        cells[a * overlaps.count + o]
    }

    /// values[alignment index][overlap index] of one figure.
    public func grid(_ value: (PhaseDiagramCell) -> Double) -> [[Double]] {
        alignments.indices.map { a in overlaps.indices.map { o in value(cell(alignment: a, overlap: o)) } }
    }

    enum CodingKeys: String, CodingKey {
        case alignments, overlaps, seeds, steps, cells
        case earlyStep
        case evaluationSet
    }
}
