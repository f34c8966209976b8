/// The precision the streamed read-out kernels (`StreamedImplicitRewardModel`) store and multiply in.
///
/// `.float64` everywhere the project checks closed forms to 1e-9; `.float32` for instances at a real
/// vocabulary, where the products dominate and sgemm runs at about twice the dgemm rate. Sums that feed
/// a figure are accumulated in double either way. `.automatic` picks float64 unless one pass over every
/// context (contexts x V x d multiply-adds) exceeds `automaticFloat32Work`.
public enum ReadoutPrecision: String, Sendable, CaseIterable, Codable {
    case automatic = "auto"
    case float32
    case float64

    /// 2^34 multiply-adds (about 1.7e10: 0.3 s of dgemm on two cores): below it, a pass is cheap in
    /// double; every test instance, every built-in task and the bench's small size stay below; a
    /// Pythia-160m instance with 20480 contexts (7.9e11) is far above.
    public static let automaticFloat32Work = Double(1 << 34)

    /// The concrete precision for an instance with `contexts` contexts, V and d.
    public func resolved(contexts: Int, vocabularySize: Int, hiddenWidth: Int) -> ReadoutPrecision {
        switch self {
        case .float32, .float64: return self
        case .automatic:
            let work = Double(contexts) * Double(vocabularySize) * Double(hiddenWidth)
            return work > Self.automaticFloat32Work ? .float32 : .float64
        }
    }
}
