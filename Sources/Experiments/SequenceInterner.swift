import RewardDynamics
import TinyLM

/// Gives every distinct prompt-response sequence one index, in order of first appearance, so that a
/// reward model scores each sequence once however many pairs share it.
struct SequenceInterner {
    private(set) var items: [PromptResponse] = []
    private var index: [PromptResponse: Int] = [:]

    /// The index of `item`, appending it the first time it is seen.
    mutating func index(of item: PromptResponse) -> Int {
        if let known = index[item] { return known }
        index[item] = items.count
        items.append(item)
        return items.count - 1
    }

    /// Each pair as the indices of its chosen and rejected sequences.
    mutating func indexed(_ pairs: [TokenPreferencePair]) -> [IndexedPair] {
        pairs.map { IndexedPair(chosen: index(of: $0.chosenSequence), rejected: index(of: $0.rejectedSequence)) }
    }
}
