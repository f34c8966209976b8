/// The four reward models that train under Assumption 1 (fixed representations, read-out only).
public enum RewardModelKind: String, Sendable, CaseIterable, Codable, CodingKeyRepresentable {
    /// r = <u, h_{x,y}>, a head on the last position.
    case explicit = "ex_rm"
    /// r = (1/L) sum_k <u, h_{x,y<=k}>, the head averaged over response positions (ablation).
    case explicitMeanPooled = "ex_rm_mean"
    /// r = beta sum_k [ln p_{c_k}(y_k) - ln p^ref_{c_k}(y_k)], the DPO-style implicit reward.
    case implicit = "im_rm"
    /// r = beta ln pi(y|x), the implicit reward without a reference (ablation).
    case implicitWithoutReference = "im_rm_noref"

    public var isExplicit: Bool { self == .explicit || self == .explicitMeanPooled }

    /// A short name for tables.
    public var label: String {
        switch self {
        case .explicit: return "EX-RM"
        case .explicitMeanPooled: return "EX-RM (mean-pooled)"
        case .implicit: return "IM-RM"
        case .implicitWithoutReference: return "IM-RM (no reference)"
        }
    }
}
