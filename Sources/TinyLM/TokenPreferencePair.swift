/// A preference pair of token sequences: a prompt and a chosen and a rejected response to it.
public struct TokenPreferencePair: Sendable, Equatable, Hashable, Codable {
    public let prompt: [Int]
    public let chosen: [Int]
    public let rejected: [Int]

    public init(prompt: [Int], chosen: [Int], rejected: [Int]) {
        self.prompt = prompt
        self.chosen = chosen
        self.rejected = rejected
    }
}
