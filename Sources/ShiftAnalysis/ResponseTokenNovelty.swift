import RewardDynamics

/// Which tokens a training set shows as responses, and which evaluation pairs lie entirely outside them.
///
/// A token is *seen* when it occurs in the response of some training pair (chosen or rejected side);
/// an evaluation pair is *unseen* when no token of either of its two responses is seen, and *seen*
/// otherwise (it shares at least one response token with training). Prompts do not count: hidden[0]
/// belongs to the prompt, and only response tokens index rows of the unembedding that training moves.
///
/// Why this definition: under Assumptions 1-2 the IM-RM's update of a pair's margin has a token-identity
/// part 1[ybar_k = y_l] that vanishes exactly when the pair is unseen in this sense (Theorem 2: such a
/// pair keeps margin 0), while the EX-RM's update never looks at tokens at all.
///
/// A pair's *token novelty* is the fraction of its response positions (chosen and rejected together)
/// whose token is not seen: 0 when every token was trained on, 1 exactly when the pair is unseen. With a
/// real tokenizer almost no paraphrase is unseen (" My", " I" recur), so reports bin pairs by novelty
/// (`TokenNoveltyBin`) rather than only splitting seen from unseen.
///
/// Mathematical properties:
/// - no training pair is unseen; a pair is unseen iff both its responses avoid `trainingTokens`;
/// - novelty lies in [0, 1]; it is 1 iff the pair is unseen and 0 iff every response token is seen;
/// - `unseenVocabulary(size:)` and `trainingTokens` partition 0 ..< V.
public struct ResponseTokenNovelty: Sendable {
    /// Tokens that occur in a training response.
    public let trainingTokens: Set<Int>

    public init(instance: Instance) {
        var tokens = Set<Int>()
        for pair in instance.train {
            tokens.formUnion(instance.sequences[pair.chosen]!.tokens)
            tokens.formUnion(instance.sequences[pair.rejected]!.tokens)
        }
        trainingTokens = tokens
    }

    /// True when neither response of `pair` contains a training response token.
    public func isUnseen(_ pair: PreferencePair, in instance: Instance) -> Bool {
        let chosen = instance.sequences[pair.chosen]!.tokens
        let rejected = instance.sequences[pair.rejected]!.tokens
        return !chosen.contains(where: trainingTokens.contains) && !rejected.contains(where: trainingTokens.contains)
    }

    /// The counts behind a pair's token novelty: response positions (both sides) and unseen ones among them.
    public func unseenPositions(_ pair: PreferencePair, in instance: Instance) -> (unseen: Int, total: Int) {
        let tokens = instance.sequences[pair.chosen]!.tokens + instance.sequences[pair.rejected]!.tokens
        return (tokens.filter { !trainingTokens.contains($0) }.count, tokens.count)
    }

    /// unseen positions / all response positions of `pair` (responses have at least one token each).
    public func novelty(_ pair: PreferencePair, in instance: Instance) -> Double {
        let counts = unseenPositions(pair, in: instance)
        return Double(counts.unseen) / Double(counts.total)
    }

    /// Tokens of 0 ..< size that no training response contains, ascending.
    public func unseenVocabulary(size: Int) -> [Int] {
        (0..<size).filter { !trainingTokens.contains($0) }
    }
}
