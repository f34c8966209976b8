/// The classes of token novelty (`ResponseTokenNovelty.novelty`) the analysis reports: the two exact
/// ends and four bins between them,
///
///   0,  (0, 0.25],  (0.25, 0.5],  (0.5, 0.75],  (0.75, 1),  1.
///
/// Novelty 1 is the paper's *unseen* class (Theorem 2: the IM-RM's token-identity part is exactly 0
/// there), kept separate because it holds exactly; novelty 0 is the class with every response token
/// trained on. The bins in between hold what real tokenizers produce: paraphrases sharing " My" or " I"
/// with the training responses.
///
/// Mathematical properties:
/// - the six classes partition [0, 1]: every novelty falls in exactly one (tested at the boundaries);
/// - `.unseen` holds exactly the pairs `ResponseTokenNovelty.isUnseen` calls unseen.
public enum TokenNoveltyBin: String, CaseIterable, Sendable, Codable, Comparable {
    case none = "0"
    case upToQuarter = "(0, 0.25]"
    case upToHalf = "(0.25, 0.5]"
    case upToThreeQuarters = "(0.5, 0.75]"
    case belowOne = "(0.75, 1)"
    case unseen = "1"

    /// The class of a novelty in [0, 1].
    public init(novelty: Double) {
        precondition(novelty >= 0 && novelty <= 1, "token novelty must lie in [0, 1], got \(novelty)")
        switch novelty {
        case 0: self = .none
        case ...0.25: self = .upToQuarter
        case ...0.5: self = .upToHalf
        case ...0.75: self = .upToThreeQuarters
        case ..<1: self = .belowOne
        default: self = .unseen
        }
    }

    /// The label in tables and files, e.g. "(0, 0.25]".
    public var label: String { rawValue }

    public static func < (lhs: TokenNoveltyBin, rhs: TokenNoveltyBin) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
