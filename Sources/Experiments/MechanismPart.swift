import TheorycheckCore
import TinyLM

/// One mechanism of the first-order change of a reward when every parameter trains (docs/theory.md §7).
///
/// For an IM-RM the tangent kernel between an evaluation context (ybar, pbar, hbar, Jbar) and a training
/// context (v, p, h, J) is
///
///     K = <e_ybar - pbar, e_v - p> <hbar, h>  +  (e_ybar - pbar)^T G (e_v - p),   G = W Jbar J^T W^T,
///
/// and its five parts are: the read-out's token identity 1[ybar = v] <hbar, h> and softmax competition
/// (the rest of the first term, the paper's Eq. 5); the backbone's same-token term G[ybar, v] with
/// ybar = v, cross-token term G[ybar, v] with ybar != v, and competition -pbar^T G e_v - e_ybar^T G p +
/// pbar^T G p. For an EX-RM, K = <hbar, h> + u^T Jbar J^T u: the head part and the backbone part.
/// (The read-out has no cross-token term: the unembedding rows of two different tokens are different
/// parameters, so <e_ybar hbar^T, e_v h^T> = 0 when ybar != v.)
///
/// The raw values are the keys of the JSON output.
public enum MechanismPart: String, CaseIterable, Codable, Sendable, CodingKeyRepresentable {
    case tokenIdentity = "token_identity"
    case readoutCompetition = "readout_competition"
    case backboneSameToken = "backbone_same_token"
    case backboneCrossToken = "backbone_cross_token"
    case backboneCompetition = "backbone_competition"
    case head = "head"
    case backbone = "backbone"

    /// The parts of a reward model's change, in report order.
    public static func parts(of type: RewardModelKind) -> [MechanismPart] {
        type.isImplicit
            ? [.tokenIdentity, .readoutCompetition, .backboneSameToken, .backboneCrossToken, .backboneCompetition]
            : [.head, .backbone]
    }

    /// Whether the part lives in the backbone's parameters (everything but the read-out W or u).
    public var isBackbone: Bool {
        switch self {
        case .backboneSameToken, .backboneCrossToken, .backboneCompetition, .backbone: return true
        case .tokenIdentity, .readoutCompetition, .head: return false
        }
    }

    /// Whether the part needs the evaluation token to occur as a training target (it is exactly 0 otherwise).
    public var isTokenIdentity: Bool { self == .tokenIdentity || self == .backboneSameToken }

    /// A short name for tables and legends.
    public var label: String {
        switch self {
        case .tokenIdentity: return "token identity (read-out)"
        case .readoutCompetition: return "competition (read-out)"
        case .backboneSameToken: return "same token (backbone)"
        case .backboneCrossToken: return "cross token (backbone)"
        case .backboneCompetition: return "competition (backbone)"
        case .head: return "head"
        case .backbone: return "backbone"
        }
    }
}

/// The parts of one first-order change (a set's mean margin change, or one reward's change).
///
/// A part's share is its value over the sum of the parts' absolute values: shares lie in [-1, 1], their
/// absolute values sum to 1, and the sign says which way the part pushed. (Shares of the net change
/// would blow up when parts cancel.)
public struct MechanismBreakdown: Codable, Equatable, Sendable {
    public let values: [MechanismPart: Double]

    public init(_ values: [MechanismPart: Double]) {
        self.values = values
    }

    /// Encoded as one flat object, part name -> value.
    public init(from decoder: Decoder) throws {
        values = try decoder.singleValueContainer().decode([MechanismPart: Double].self)
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(values)
    }

    /// The value of `part`, 0 when the breakdown has no such part.
    public subscript(part: MechanismPart) -> Double { values[part] ?? 0 }

    /// The parts present, in `MechanismPart.allCases` order.
    public var parts: [MechanismPart] { MechanismPart.allCases.filter { values[$0] != nil } }

    /// The predicted change: the sum of the parts, in a fixed order.
    public var total: Double { parts.reduce(0) { $0 + self[$1] } }

    /// The sum of the parts' absolute values.
    public var gross: Double { parts.reduce(0) { $0 + abs(self[$1]) } }

    /// self[part] / gross, 0 when every part is 0.
    public func share(of part: MechanismPart) -> Double {
        let gross = gross
        return gross > 0 ? self[part] / gross : 0
    }

    /// Part by part sums (the parts of a sum of changes).
    public static func + (lhs: MechanismBreakdown, rhs: MechanismBreakdown) -> MechanismBreakdown {
        MechanismBreakdown(lhs.values.merging(rhs.values, uniquingKeysWith: +))
    }

    /// A breakdown with every part of `type` at 0.
    public static func zero(_ type: RewardModelKind) -> MechanismBreakdown {
        MechanismBreakdown(Dictionary(uniqueKeysWithValues: MechanismPart.parts(of: type).map { ($0, 0.0) }))
    }
}
