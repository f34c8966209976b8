import TheorycheckCore
import Foundation
import TheorycheckCore
import LinearAlgebra

/// The sizes that decide what a run on an instance costs: V, d, contexts, sequences and pairs.
public struct RunShape: Sendable, Equatable {
    /// V.
    public let vocabularySize: Int
    /// d.
    public let hiddenWidth: Int
    /// C, every response context (the rows of the logits).
    public let contexts: Int
    /// C_train, contexts of sequences in a training pair (the rows of the gradient G).
    public let trainContexts: Int
    /// S, every sequence.
    public let sequences: Int
    /// S_train, sequences in a training pair.
    public let trainSequences: Int
    /// n, training pairs.
    public let trainPairs: Int

    public init(vocabularySize: Int, hiddenWidth: Int, contexts: Int, trainContexts: Int, sequences: Int,
                trainSequences: Int, trainPairs: Int)
    {
        self.vocabularySize = vocabularySize
        self.hiddenWidth = hiddenWidth
        self.contexts = contexts
        self.trainContexts = trainContexts
        self.sequences = sequences
        self.trainSequences = trainSequences
        self.trainPairs = trainPairs
    }

    /// The shape of `instance`, counted without building its `SequenceLayout` (which copies every context).
    public init(instance: Instance) {
        let trained = Set(instance.train.flatMap { [$0.chosen, $0.rejected] })
        var contexts = 0
        var trainContexts = 0
        for (id, sequence) in instance.sequences {
            contexts += sequence.length
            if trained.contains(id) { trainContexts += sequence.length }
        }
        self.init(vocabularySize: instance.vocabularySize, hiddenWidth: instance.hiddenWidth, contexts: contexts,
                  trainContexts: trainContexts, sequences: instance.sequences.count, trainSequences: trained.count,
                  trainPairs: instance.train.count)
    }
}

/// What a run will hold in memory at its peak and how much arithmetic a step takes, computed from the
/// shape alone before anything large is allocated, so that a run that cannot fit is refused up front.
///
/// Memory counts every matrix of doubles the run's simulators allocate (8 bytes per entry), as the code
/// allocates them now:
/// - always: the instance (W and W_ref, V x d each; hidden states, (C + S) x d) and the stacked layout
///   (contexts C x d, two S x d feature matrices);
/// - an IM-RM trained in parameter space: W (V x d), the logits scratch (C x V), the gradient rows
///   (C_train x V) and the training contexts (C_train x d);
/// - an IM-RM in function space: the logits (C x V), the gradient rows (C_train x V), and the context
///   kernel (C x C_train, whole up to `CrossGramMatrix.defaultMaximumBytes` = 256 MiB, else one block of
///   at most 32 MiB);
/// - an EX-RM: its head (d), and in function space the kernel (S x S_train, the same rule);
/// - the first-order (Eq. 5) prediction at a checkpoint: the training contexts' laws (C_train x V), and
///   the laws and overlaps of all contexts (C x (V + C_train)) whole up to 256 MiB, else in blocks of
///   32 MiB.
/// Vectors of length C, S or V and the run's records are left out (under 1% at every size that matters).
///
/// FLOPs count the BLAS products of one step (2 m k n per m x k by k x n product), as `theorycheck bench`
/// does; exp and log work (about one exp per logit) comes on top. A context kernel held in blocks is
/// recomputed each step (2 C C_train d more).
///
/// Mathematical properties (tested): the estimate grows linearly in C at fixed V and d once the kernels
/// are blocked (above 256 MiB), never like C^2; it is within a factor of 1.5 of the resident memory
/// measured on the same run.
public struct RunCostEstimate: Sendable {
    /// Which computation is estimated.
    public enum Run: Sendable, Equatable {
        /// `DynamicsExperiment` over these reward models (the fixed-representation ones; an EX-GRM has
        /// no fixed-representation simulator and costs nothing here), with or without the closed forms.
        case dynamics(kinds: [RewardModelKind], checksClosedForms: Bool)
        /// `StepAnalysis`: one step of the EX-RM and the IM-RM with their predictions.
        case step
        /// `RepresentationAnalysis`: u* and the first-order IM-RM prediction.
        case analyze

        var name: String {
            switch self {
            case .dynamics: return "dynamics"
            case .step: return "step"
            case .analyze: return "analyze"
            }
        }
    }

    /// One allocation held at the peak.
    public struct Item: Sendable, Equatable {
        public let name: String
        public let bytes: Int
    }

    /// Runs are refused above this: 24 GiB, the memory of the machines the project targets.
    public static let defaultLimitBytes = 24 << 30

    public let run: Run
    public let shape: RunShape
    /// What is held at the peak, largest first.
    public let items: [Item]
    /// The sum of `items`.
    public let peakBytes: Int
    /// BLAS FLOPs of one step (for `step` and `analyze`, of the whole run).
    public let flopsPerStep: Double

    public init(run: Run, shape: RunShape) {
        self.run = run
        self.shape = shape
        let v = shape.vocabularySize
        let d = shape.hiddenWidth
        let c = shape.contexts
        let ct = shape.trainContexts
        let s = shape.sequences
        let st = shape.trainSequences
        func bytes(_ rows: Int, _ columns: Int) -> Int { CrossGramMatrix.bytes(rows: rows, columns: columns) }
        let budget = CrossGramMatrix.Budget.standard
        /// A matrix of rows x columns as `CrossGramMatrix` holds it: whole, or one block of rows.
        func blocked(_ rows: Int, _ columns: Int) -> Int {
            bytes(min(rows, budget.blockRows(rows: rows, columns: columns)), columns)
        }
        func kernel(_ rows: Int, _ columns: Int) -> Int { blocked(rows, columns) }
        func kernelFlops(_ rows: Int, _ columns: Int) -> Double {
            bytes(rows, columns) <= budget.maximumBytes ? 0 : 2 * Double(rows) * Double(columns) * Double(d)
        }
        /// The first-order prediction's laws and overlaps of all contexts (whole or in blocks).
        func laws() -> Int { blocked(c, v + ct) }

        var items: [Item] = [
            Item(name: "the instance's unembeddings W and W_ref (2 x V x d)", bytes: 2 * bytes(v, d)),
            Item(name: "the instance's hidden states and their stacked copies", bytes: 2 * bytes(c + s, d) + bytes(s, d)),
        ]
        var flops = 0.0
        let firstOrder = [
            Item(name: "the first-order prediction's training laws (C_train x V)", bytes: bytes(ct, v)),
            Item(name: "the first-order prediction's laws and overlaps of every context", bytes: laws()),
        ]
        switch run {
        case let .dynamics(kinds, checksClosedForms):
            var hasImplicit = false
            for kind in kinds {
                if kind.hasHead {
                    items.append(Item(name: "\(kind.rawValue): head", bytes: bytes(1, d)))
                    flops += 4 * Double(s) * Double(d)
                    if checksClosedForms {
                        items.append(Item(name: "\(kind.rawValue) (closed form): kernel S x S_train", bytes: kernel(s, st) + bytes(st, d)))
                        flops += 2 * Double(s) * Double(st) + kernelFlops(s, st)
                    }
                } else if kind.isImplicit {
                    hasImplicit = true
                    items.append(Item(name: "\(kind.rawValue): logits scratch (C x V)", bytes: bytes(c, v)))
                    items.append(Item(name: "\(kind.rawValue): gradient rows (C_train x V)", bytes: bytes(ct, v)))
                    items.append(Item(name: "\(kind.rawValue): W and the training contexts", bytes: bytes(v, d) + bytes(ct, d)))
                    flops += 2 * Double(c) * Double(d) * Double(v) + 2 * Double(v) * Double(ct) * Double(d)
                    if checksClosedForms {
                        items.append(Item(name: "\(kind.rawValue) (closed form): logits (C x V)", bytes: bytes(c, v)))
                        items.append(Item(name: "\(kind.rawValue) (closed form): gradient rows (C_train x V)", bytes: bytes(ct, v)))
                        items.append(Item(name: "\(kind.rawValue) (closed form): context kernel C x C_train",
                                          bytes: kernel(c, ct) + bytes(ct, d)))
                        flops += 2 * Double(c) * Double(ct) * Double(v) + kernelFlops(c, ct)
                    }
                }
            }
            if hasImplicit && checksClosedForms { items += firstOrder }
        case .step:
            // Three phases, one after the other: the EX-RM's prediction (its kernel), the IM-RM's
            // prediction (a closed form and its first-order laws), then the IM-RM model's step (its
            // buffers and the logits its rewards are read from). The largest phase is the peak.
            let phases: [[Item]] = [
                [Item(name: "ex_rm (closed form): kernel S x S_train", bytes: kernel(s, st) + bytes(st, d))],
                [Item(name: "im_rm (closed form): logits (C x V)", bytes: bytes(c, v)),
                 Item(name: "im_rm (closed form): context kernel C x C_train", bytes: kernel(c, ct) + bytes(ct, d)),
                 Item(name: "the first-order prediction's training laws (C_train x V)", bytes: bytes(ct, v)),
                 Item(name: "the first-order prediction's laws and overlaps of every context", bytes: laws())],
                [Item(name: "im_rm: logits scratch (C x V)", bytes: bytes(c, v)),
                 Item(name: "im_rm: gradient rows (C_train x V)", bytes: bytes(ct, v)),
                 Item(name: "im_rm: W and the training contexts", bytes: bytes(v, d) + bytes(ct, d)),
                 Item(name: "im_rm: logits its rewards are read from (C x V)", bytes: bytes(c, v))],
            ]
            items += phases.max { $0.reduce(0) { $0 + $1.bytes } < $1.reduce(0) { $0 + $1.bytes } }!
            flops = 4 * Double(s) * Double(d) + 2 * Double(s) * Double(st) + kernelFlops(s, st)  // EX-RM
                + 2 * 3 * Double(c) * Double(d) * Double(v) + 2 * Double(v) * Double(ct) * Double(d)  // three logits, one update
                + 2 * Double(c) * Double(ct) * (Double(v) + Double(d))  // overlaps, kernel
        case .analyze:
            items.append(Item(name: "im_rm (closed form): logits (C x V)", bytes: bytes(c, v)))
            items.append(Item(name: "im_rm (closed form): context kernel C x C_train", bytes: kernel(c, ct) + bytes(ct, d)))
            items.append(Item(name: "the first-order prediction's training laws (C_train x V)", bytes: bytes(ct, v)))
            items.append(Item(name: "the first-order prediction's laws and overlaps of every context", bytes: laws()))
            flops = 2 * 2 * Double(c) * Double(d) * Double(v) + 2 * Double(c) * Double(ct) * (Double(v) + Double(d))
        }
        self.items = items.sorted { $0.bytes > $1.bytes }
        peakBytes = items.reduce(0) { $0 > Int.max - $1.bytes ? Int.max : $0 + $1.bytes }
        flopsPerStep = flops
    }

    /// The estimate for `run` on `instance`.
    public init(run: Run, instance: Instance) {
        self.init(run: run, shape: RunShape(instance: instance))
    }

    /// One line for the terminal, e.g. "dynamics: V = 50000, d = 256, 2048 contexts (2048 in training
    /// pairs), 128 sequences, 64 training pairs: about 9.8 GiB at the peak, 0.2 TFLOP per step".
    public var summary: String {
        let perStep = run == .step || run == .analyze ? "in all" : "per step"
        return "\(run.name): V = \(shape.vocabularySize), d = \(shape.hiddenWidth), \(shape.contexts) contexts "
            + "(\(shape.trainContexts) in training pairs), \(shape.sequences) sequences, \(shape.trainPairs) training pairs: "
            + "about \(Self.gibibytes(peakBytes)) at the peak, \(Self.flopText(flopsPerStep)) \(perStep) (BLAS products)"
    }

    /// Throws `RunTooLargeError` when the peak exceeds `limitBytes` (default 24 GiB).
    public func checkFits(limitBytes: Int = defaultLimitBytes) throws(RunTooLargeError) {
        guard peakBytes > limitBytes else { return }
        let largest = items[0]
        throw RunTooLargeError(
            run: run.name, peakBytes: peakBytes, limitBytes: limitBytes, largestItem: largest.name,
            largestBytes: largest.bytes, advice: Self.advice(for: largest.name, run: run))
    }

    private static func advice(for item: String, run: Run) -> String {
        if item.contains("kernel") {
            return "use fewer training pairs or shorter responses (the kernel's blocks grow with the training contexts)"
        }
        if item.contains("unembedding") {
            return "use a smaller vocabulary or hidden width"
        }
        if case .dynamics(let kinds, _) = run, kinds.count > 1 {
            return "use fewer or shorter sequences, a smaller vocabulary, or fewer reward models in one run"
        }
        return "use fewer or shorter sequences (fewer contexts) or a smaller vocabulary"
    }

    /// "3.7 GiB", "512 MiB".
    public static func gibibytes(_ bytes: Int) -> String {
        let gib = Double(bytes) / Double(1 << 30)
        if gib >= 1 { return String(format: "%.1f GiB", gib) }
        return String(format: "%.0f MiB", Double(bytes) / Double(1 << 20))
    }

    private static func flopText(_ flops: Double) -> String {
        if flops >= 1e12 { return String(format: "%.1f TFLOP", flops / 1e12) }
        if flops >= 1e9 { return String(format: "%.1f GFLOP", flops / 1e9) }
        return String(format: "%.1f MFLOP", flops / 1e6)
    }
}

/// A run whose estimated peak memory is above the limit: refused before it starts, in one sentence that
/// says what to change.
public struct RunTooLargeError: Error, Equatable, Sendable, CustomStringConvertible {
    public let run: String
    public let peakBytes: Int
    public let limitBytes: Int
    public let largestItem: String
    public let largestBytes: Int
    public let advice: String

    public var description: String {
        "this \(run) run needs about \(RunCostEstimate.gibibytes(peakBytes)) of memory, more than the "
            + "\(RunCostEstimate.gibibytes(limitBytes)) allowed (the largest part is \(largestItem), "
            + "\(RunCostEstimate.gibibytes(largestBytes))); \(advice)."
    }
}
