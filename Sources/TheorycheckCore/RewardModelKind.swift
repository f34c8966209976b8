/// The reward models the project builds (docs/theory.md §1): one vocabulary for every layer, from the
/// fixed-representation simulators to the reward models trained on small language models.
///
/// The raw values are the keys of every JSON output (`ex_rm`, `ex_rm_mean`, `im_rm`, `im_rm_noref`,
/// `ex_grm`), in this order.
public enum RewardModelKind: String, CaseIterable, Codable, Sendable, CodingKeyRepresentable {
    /// r = <u, h_{x,y}>: a linear head on the hidden state of the last position.
    case explicit = "ex_rm"
    /// r = <u, (1/L) sum_{k=1..L} h_{x,y<=k}>: the head on the hidden states averaged over the response
    /// positions (the paper's ablation: an EX-RM that reads every position, as an IM-RM does).
    case explicitMeanPooled = "ex_rm_mean"
    /// r = beta sum_k [ln p_{c_k}(y_k) - ln p^ref_{c_k}(y_k)], pi_ref a frozen copy of the starting model.
    case implicit = "im_rm"
    /// r = beta ln pi(y|x): the implicit reward without a reference (ablation).
    case implicitWithoutReference = "im_rm_noref"
    /// r = p("yes" | verification prompt built from x and y): a generative verifier trained by
    /// cross-entropy on "yes" for chosen and "no" for rejected responses. It needs a language model, so
    /// the fixed-representation simulators do not have it.
    case generativeVerifier = "ex_grm"

    /// The four models that train under Assumption 1 (fixed representations, read-out only): the ones
    /// with closed-form dynamics.
    public static let fixedRepresentation: [RewardModelKind] = [
        .explicit, .explicitMeanPooled, .implicit, .implicitWithoutReference,
    ]

    /// Whether the reward is read by a head u on hidden states (the two EX-RMs).
    public var hasHead: Bool { self == .explicit || self == .explicitMeanPooled }

    /// Whether the reward is a sum of response log-probabilities (the two IM-RMs).
    public var isImplicit: Bool { self == .implicit || self == .implicitWithoutReference }

    /// A short name for tables.
    public var label: String {
        switch self {
        case .explicit: return "EX-RM"
        case .explicitMeanPooled: return "EX-RM (mean-pooled)"
        case .implicit: return "IM-RM"
        case .implicitWithoutReference: return "IM-RM (no reference)"
        case .generativeVerifier: return "EX-GRM"
        }
    }
}
