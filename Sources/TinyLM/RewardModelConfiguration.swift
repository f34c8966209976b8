import TheorycheckCore
/// What reward model to build on a backbone. Codable, so every run can print the configuration it used.
public struct RewardModelConfiguration: Codable, Equatable, Sendable {
    public var type: RewardModelKind
    /// beta of the implicit rewards; 0.01 as in the paper's Persona experiment (docs/theory.md §6).
    /// Ignored by the other types.
    public var beta: Double
    /// Assumption 1: train only the read-out (the head u of the EX-RMs; the unembedding W of the IM-RMs
    /// and of the EX-GRM) and keep the rest of the backbone bit-identical. False trains every parameter.
    public var readoutOnly: Bool
    /// The verification prompt of the EX-GRM; required for `.generativeVerifier`, ignored otherwise.
    public var verifier: VerifierFormat?

    public init(type: RewardModelKind, beta: Double = 0.01, readoutOnly: Bool = false, verifier: VerifierFormat? = nil) {
        self.type = type
        self.beta = beta
        self.readoutOnly = readoutOnly
        self.verifier = verifier
    }

    /// Throws the first problem, as a sentence that says what to change.
    public func validate(vocabularySize: Int) throws {
        if type.isImplicit && !(beta > 0 && beta.isFinite) {
            throw ConfigurationError("beta is \(beta); the implicit reward needs a positive beta such as 0.01")
        }
        if type == .generativeVerifier {
            guard let verifier else {
                throw ConfigurationError("the EX-GRM needs a verifier format (suffix tokens, yes token, no token)")
            }
            if verifier.suffix.isEmpty {
                throw ConfigurationError("the EX-GRM verifier suffix is empty; give at least one token that poses the question")
            }
            for token in verifier.suffix + [verifier.yesToken, verifier.noToken] where token < 0 || token >= vocabularySize {
                throw ConfigurationError("the EX-GRM verifier uses token id \(token), outside the vocabulary 0..<\(vocabularySize)")
            }
            if verifier.yesToken == verifier.noToken {
                throw ConfigurationError("the EX-GRM verifier's yes and no tokens are both \(verifier.yesToken); they must differ")
            }
        }
    }
}
