import LinearAlgebra
import TinyLM

/// Mean cosines between a backbone's vectors for paraphrased and original Persona responses, with the
/// contrast a reader needs to judge them.
///
///     sameStance          = mean cos(v(x, p), v(x, o))    p paraphrase, o original, same stance
///     oppositeStance      = mean cos(v(x, p), v(x, o))    p paraphrase, o original, opposite stance
///     agreeVersusDisagree = mean cos(v(x, o+), v(x, o-))  o+ original chosen, o- original rejected
///
/// over every prompt x and every such pair of response variants (`PersonaDataset.Responses`). When
/// sameStance is well above oppositeStance, a paraphrase sits nearer the original that means the same
/// than the one that means the opposite, so anything read linearly off these vectors (an EX-RM's head,
/// an IM-RM's unembedding) can carry over to the paraphrase.
public struct StanceCosines: Codable, Equatable, Sendable {
    public let sameStance: Double
    public let oppositeStance: Double
    public let agreeVersusDisagree: Double
    /// sameStance - oppositeStance: how much nearer a paraphrase is to the original of its own stance.
    public let stanceGap: Double

    public init(sameStance: Double, oppositeStance: Double, agreeVersusDisagree: Double) {
        self.sameStance = sameStance
        self.oppositeStance = oppositeStance
        self.agreeVersusDisagree = agreeVersusDisagree
        stanceGap = sameStance - oppositeStance
    }
}

/// One view's cosines, raw and centered. Centered: every vector minus the mean of all the vectors
/// compared with it (per prompt, over the 12 response variants of the four groups), which removes the
/// component all answers share (the raw cosines of the final layer norm's output and of the answer rows
/// are dominated by it once the model knows "an answer comes here") and leaves the directions that tell
/// responses apart.
public struct ViewCosines: Codable, Equatable, Sendable {
    public let raw: StanceCosines
    public let centered: StanceCosines

    public init(raw: StanceCosines, centered: StanceCosines) {
        self.raw = raw
        self.centered = centered
    }

    public func cosines(centered: Bool) -> StanceCosines { centered ? self.centered : raw }
}

/// How similar one backbone's representations of paraphrased and original responses are (docs/theory.md
/// §6): the quantity the Persona headline depends on. Four views, each a `StanceCosines`:
///
/// - `answer`: the hidden state h at the answer's first token ("certainly" against "yes"), the answer
///   read in its context;
/// - `last`: h at the last position, what the EX-RM's head reads (the same as `answer` except for the
///   two-token answer "not really");
/// - `beforeAnswer`: h at the template's last token, the context whose law p = softmax(W h) gives the
///   IM-RM the answer's log-probability ("my response would be" against "in my view, the answer is");
/// - `unembedding`: the rows of W for the answers' first tokens, the token identity the IM-RM's reward
///   is read through (independent of the prompt).
///
/// Hidden states are the final layer norm's output (`SequenceEvaluation.hidden`), measured on the
/// training statements' prompts.
///
/// Mathematical properties (tested in `PersonaSensitivityTests`):
/// - `cosine(a, a) = 1` (up to rounding) and `cosine(a, b) = cosine(b, a)` exactly;
/// - `meanCosine(A, B) = meanCosine(B, A)` up to the order of summation, and 1 when every vector of A and
///   B is the same direction;
/// - `centered` leaves vectors that sum to 0, and centered cosines do not change when one vector is added
///   to every input (up to rounding);
/// - every figure lies in [-1, 1].
public struct RepresentationSimilarity: Codable, Equatable, Sendable {
    public let answer: ViewCosines
    public let last: ViewCosines
    public let beforeAnswer: ViewCosines
    public let unembedding: ViewCosines

    /// The names of the four views, in report order, with a short description.
    public static let views: [(name: String, label: String)] = [
        ("answer", "h at the answer"), ("last", "h at the last position"),
        ("before_answer", "h before the answer"), ("unembedding", "unembedding rows of the answers"),
    ]

    /// The view called `name` (one of `views`).
    public func view(_ name: String) -> ViewCosines {
        switch name {
        case "answer": return answer
        case "last": return last
        case "before_answer": return beforeAnswer
        case "unembedding": return unembedding
        default: preconditionFailure("no similarity view called \(name)")
        }
    }

    /// <a, b> / (|a| |b|); 0 when either vector is 0 (no direction to compare).
    public static func cosine(_ a: [Double], _ b: [Double]) -> Double {
        precondition(a.count == b.count, "cosine of vectors of length \(a.count) and \(b.count)")
        var dot = 0.0
        var normA = 0.0
        var normB = 0.0
        for index in a.indices {
            dot += a[index] * b[index]
            normA += a[index] * a[index]
            normB += b[index] * b[index]
        }
        let norms = normA.squareRoot() * normB.squareRoot()
        return norms > 0 ? dot / norms : 0
    }

    /// The mean of cosine(a, b) over every a in `first` and b in `second`.
    public static func meanCosine(_ first: [[Double]], _ second: [[Double]]) -> Double {
        precondition(!first.isEmpty && !second.isEmpty, "a mean cosine over no vectors")
        var total = 0.0
        for a in first {
            for b in second { total += cosine(a, b) }
        }
        return total / Double(first.count * second.count)
    }

    /// Groups of vectors with the mean of all their vectors subtracted from each.
    public static func centered(_ groups: [[[Double]]]) -> [[[Double]]] {
        let all = groups.flatMap { $0 }
        precondition(!all.isEmpty, "nothing to center")
        var mean = [Double](repeating: 0, count: all[0].count)
        for vector in all {
            for index in mean.indices { mean[index] += vector[index] }
        }
        for index in mean.indices { mean[index] /= Double(all.count) }
        return groups.map { group in group.map { vector in zip(vector, mean).map { $0 - $1 } } }
    }

    /// The four views of `backbone` on `dataset`'s training prompts and response variants.
    public static func measure(backbone: TinyLM, dataset: PersonaDataset) throws -> RepresentationSimilarity {
        let responses = dataset.responses
        let groups = [responses.originalChosen, responses.originalRejected, responses.paraphraseChosen,
                      responses.paraphraseRejected]  // O+, O-, P+, P-
        let variants = groups.flatMap { $0 }
        let sequences = dataset.trainPrompts.flatMap { prompt in variants.map { prompt + $0.tokens } }
        let evaluations = try backbone.evaluate(sequences)

        // Per view: the vectors of each group, per prompt (group -> prompt -> variant -> vector).
        func hiddenStates(position: (Int, PersonaDataset.Response) -> Int) -> [[[[Double]]]] {
            var offset = 0
            var byGroup: [[[[Double]]]] = groups.map { _ in [] }
            for promptIndex in dataset.trainPrompts.indices {
                let promptLength = dataset.trainPrompts[promptIndex].count
                for (groupIndex, group) in groups.enumerated() {
                    var vectors: [[Double]] = []
                    for response in group {
                        let hidden = evaluations[offset].hidden  // len x d
                        vectors.append(hidden.row(position(promptLength, response)))
                        offset += 1
                    }
                    byGroup[groupIndex].append(vectors)
                }
            }
            return byGroup
        }
        func stanceCosines(_ byGroup: [[[[Double]]]]) -> StanceCosines {
            let prompts = byGroup[0].indices
            func mean(_ first: Int, _ second: Int) -> Double {
                prompts.map { meanCosine(byGroup[first][$0], byGroup[second][$0]) }.reduce(0, +) / Double(prompts.count)
            }
            // Same stance: P+ with O+ and P- with O-; opposite: P+ with O- and P- with O+ (equal counts).
            return StanceCosines(sameStance: (mean(2, 0) + mean(3, 1)) / 2, oppositeStance: (mean(2, 1) + mean(3, 0)) / 2,
                                 agreeVersusDisagree: mean(0, 1))
        }
        func cosines(_ byGroup: [[[[Double]]]]) -> ViewCosines {
            // Center per prompt: the four groups' vectors on one prompt, less their mean.
            let prompts = byGroup[0].indices
            let centeredByPrompt = prompts.map { prompt in centered(byGroup.map { $0[prompt] }) }  // prompt -> group -> variant
            let centeredByGroup = byGroup.indices.map { group in prompts.map { centeredByPrompt[$0][group] } }
            return ViewCosines(raw: stanceCosines(byGroup), centered: stanceCosines(centeredByGroup))
        }
        let unembedding = backbone.parameters[TinyLMParameterName.unembedding]  // V x d
        let rows = groups.map { group in [group.map { unembedding.row($0.tokens[$0.answerStart]) }] }
        return RepresentationSimilarity(
            answer: cosines(hiddenStates { promptLength, response in promptLength + response.answerStart }),
            last: cosines(hiddenStates { promptLength, response in promptLength + response.tokens.count - 1 }),
            beforeAnswer: cosines(hiddenStates { promptLength, response in promptLength + response.answerStart - 1 }),
            unembedding: cosines(rows))
    }
}
