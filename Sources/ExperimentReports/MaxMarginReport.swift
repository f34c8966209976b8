import LinearAlgebra
import MaxMargin

/// What `maxmargin` prints.
public struct MaxMarginReport: Encodable, Presentation {
    public let outcome: MaxMarginOutcome
    public let pairs: Int
    public let width: Int

    public init(outcome: MaxMarginOutcome, pairs: Int, width: Int) {
        self.outcome = outcome
        self.pairs = pairs
        self.width = width
    }

    public var terminalText: String { text }

    public var jsonDocument: MaxMarginReport { self }

    enum CodingKeys: String, CodingKey {
        case separable, separator, margin, support, method, pairs, width
        case dualWeights
        case kkt = "kkt_worst_relative_violation"
        case hullWeights
        case residual, message
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(pairs, forKey: .pairs)
        try container.encode(width, forKey: .width)
        switch outcome {
        case .separable(let solution):
            try container.encode(true, forKey: .separable)
            try container.encode(solution.separator, forKey: .separator)
            try container.encode(solution.margin, forKey: .margin)
            try container.encode(solution.supportIndices, forKey: .support)
            try container.encode(solution.dualWeights, forKey: .dualWeights)
            try container.encode(solution.kkt.worstRelativeViolation, forKey: .kkt)
            try container.encode(solution.method.rawValue, forKey: .method)
        case .nonSeparable(let certificate):
            try container.encode(false, forKey: .separable)
            try container.encode(certificate.supportIndices, forKey: .support)
            try container.encode(certificate.hullWeights, forKey: .hullWeights)
            try container.encode(certificate.residual, forKey: .residual)
            try container.encode(certificate.method.rawValue, forKey: .method)
            try container.encode(certificate.description, forKey: .message)
        }
    }

    var text: String {
        switch outcome {
        case .separable(let solution):
            let support = solution.supportIndices.map(String.init).joined(separator: ", ")
            return """
                Separable: \(pairs) training differences in R^\(width).
                margin 1/|u*| = \(solution.margin)
                |u*| = \(BLAS.norm(solution.separator))
                support pairs (\(solution.supportIndices.count)): \(support)
                KKT worst relative violation: \(solution.kkt.worstRelativeViolation) (\(solution.method.rawValue))
                u* (use --json for the vector).
                """
        case .nonSeparable(let certificate):
            return "Not separable: \(pairs) training differences in R^\(width).\n\(certificate)"
        }
    }
}
