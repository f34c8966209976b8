/// A prompt and one response, as token ids: the unit every reward model scores.
///
/// The prompt carries its own markers (a `<bos>` first, for the tokenizers of this project); it must have
/// at least one token so that every response token has a context that predicts it.
public struct PromptResponse: Hashable, Codable, Sendable {
    public let prompt: [Int]
    public let response: [Int]

    public init(prompt: [Int], response: [Int]) {
        self.prompt = prompt
        self.response = response
    }

    /// prompt + response.
    public var tokens: [Int] { prompt + response }
}

/// One preference: a prompt, the chosen response and the rejected one, as token ids. Nothing here is
/// specific to a task: persona statements and Hamiltonian-cycle graphs are both encoded this way.
public struct TokenPreferencePair: Hashable, Codable, Sendable {
    public let prompt: [Int]
    public let chosen: [Int]
    public let rejected: [Int]

    public init(prompt: [Int], chosen: [Int], rejected: [Int]) {
        self.prompt = prompt
        self.chosen = chosen
        self.rejected = rejected
    }

    public var chosenSequence: PromptResponse { PromptResponse(prompt: prompt, response: chosen) }
    public var rejectedSequence: PromptResponse { PromptResponse(prompt: prompt, response: rejected) }
}

/// How a generative verifier (EX-GRM) is asked about a response: the verification prompt is
/// prompt + response + `suffix`, and the model's next-token law there is read at `yesToken` / `noToken`.
public struct VerifierFormat: Hashable, Codable, Sendable {
    /// Tokens appended after the response to pose the question (at least one).
    public let suffix: [Int]
    /// The token whose probability is the reward, and the target for chosen responses.
    public let yesToken: Int
    /// The target for rejected responses.
    public let noToken: Int

    public init(suffix: [Int], yesToken: Int, noToken: Int) {
        self.suffix = suffix
        self.yesToken = yesToken
        self.noToken = noToken
    }
}
