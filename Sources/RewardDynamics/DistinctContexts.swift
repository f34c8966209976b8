import LinearAlgebra

/// The contexts of a layout grouped by bit-identical representations, so that an IM-RM computes the
/// logits, log-sum-exp and softmax of each distinct representation once.
///
/// Contexts with the same h_c have the same logits W h_c (parameter space) and the same rows of K and
/// so the same logits at every step (function space), and training contexts with the same h_l enter
/// the update through the same h_l (G^T H) or the same column of K (K G). So, exactly in real
/// arithmetic, the logits are those of the distinct representations (classes) and the update's
/// gradient rows of one class add up: G^T H = sum_class (sum_{l in class} g_l) h_class^T and
/// K G = K[:, classes] (merged rows). In the built-in token-shift task every prompt's first context
/// is shared by its four sequences: 780 distinct of 960 contexts, 280 of 320 training contexts.
///
/// Without duplicates every class is one context, in order, and the computations are the ones without
/// classes.
public struct DistinctContexts: Sendable {
    /// The first context of every class, ascending.
    public let representatives: [Int]
    /// The class of every context.
    public let classOf: [Int]
    /// The classes of the training contexts (`layout.trainContextRows`), each once, in order of first
    /// appearance there.
    public let trainClasses: [Int]
    /// For every entry of `trainClasses`, the positions j in `layout.trainContextRows` of its contexts.
    public let trainMembers: [[Int]]
    /// Whether every context is its own class and every training class one training context.
    public var isTrivial: Bool { representatives.count == classOf.count && trainClasses.count == trainCount }
    private let trainCount: Int

    public init(_ layout: SequenceLayout) {
        let contexts = layout.contexts
        var firstOf: [[UInt64]: Int] = [:]
        var representatives: [Int] = []
        var classOf = [Int](repeating: 0, count: layout.contextCount)
        for c in 0..<layout.contextCount {
            let key = contexts.row(c).map(\.bitPattern)
            if let existing = firstOf[key] {
                classOf[c] = existing
            } else {
                firstOf[key] = representatives.count
                classOf[c] = representatives.count
                representatives.append(c)
            }
        }
        var slotOf: [Int: Int] = [:]
        var trainClasses: [Int] = []
        var members: [[Int]] = []
        for (j, c) in layout.trainContextRows.enumerated() {
            let k = classOf[c]
            if let slot = slotOf[k] {
                members[slot].append(j)
            } else {
                slotOf[k] = trainClasses.count
                trainClasses.append(k)
                members.append([j])
            }
        }
        self.representatives = representatives
        self.classOf = classOf
        self.trainClasses = trainClasses
        trainMembers = members
        trainCount = layout.trainContextRows.count
    }

    /// The representations of the classes, classes x d.
    public func classContexts(_ layout: SequenceLayout) -> Matrix {
        layout.contexts.selectingRows(representatives)
    }

    /// The representations of the training classes, in `trainClasses` order.
    public func trainClassContexts(_ layout: SequenceLayout) -> Matrix {
        layout.contexts.selectingRows(trainClasses.map { representatives[$0] })
    }

    /// Class logits (classes x V) expanded to every context (contexts x V).
    public func expand(_ classLogits: Matrix) -> Matrix {
        if representatives.count == classOf.count { return classLogits }
        return classLogits.selectingRows(classOf)
    }
}
