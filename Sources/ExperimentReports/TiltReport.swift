import Tasks

/// What `theorycheck tilt` prints, in the JSON layout plus the inputs that produced it.
public struct TiltReport: Encodable, Presentation {
    let margin: Double
    let marginMax: Double
    let generationProbability: Double
    let closedForm: Double
    /// e^(delta/beta) q; nil when it overflows a double (then `boundOverflows` is true).
    let bound: Double?
    let boundOverflows: Bool
    let logBound: Double
    /// q as summed back from the built reference (equals `q` to rounding).
    let referenceMass: Double
    let q: Double
    let delta: Double
    let beta: Double
    let responses: Int
    let correct: Int
    let seed: UInt64

    enum CodingKeys: String, CodingKey {
        case margin, bound, q, delta, beta, responses, correct, seed
        case boundOverflows
        case marginMax
        case generationProbability
        case closedForm
        case logBound
        case referenceMass
    }

    public init(tilt: ExponentialTilt, requestedMass: Double, seed: UInt64) {
        let summary = tilt.summary
        // validate() guarantees at least one correct and one incorrect response, so margins exist.
        margin = summary.minimumMargin!
        marginMax = summary.maximumMargin!
        generationProbability = summary.generationProbability
        closedForm = summary.closedFormGenerationProbability
        bound = summary.generationBound.isFinite ? summary.generationBound : nil
        boundOverflows = !summary.generationBound.isFinite
        logBound = summary.logGenerationBound
        referenceMass = summary.referenceCorrectMass
        q = requestedMass
        delta = tilt.margin
        beta = tilt.beta
        responses = summary.responseCount
        correct = summary.correctCount
        self.seed = seed
    }

    public var terminalText: String { render() }

    public var jsonDocument: TiltReport { self }

    /// Explicit nulls: a bound that overflows is written as null beside `bound_overflows`.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(margin, forKey: .margin)
        try container.encode(marginMax, forKey: .marginMax)
        try container.encode(generationProbability, forKey: .generationProbability)
        try container.encode(closedForm, forKey: .closedForm)
        try container.encode(bound, forKey: .bound)
        try container.encode(boundOverflows, forKey: .boundOverflows)
        try container.encode(logBound, forKey: .logBound)
        try container.encode(referenceMass, forKey: .referenceMass)
        try container.encode(q, forKey: .q)
        try container.encode(delta, forKey: .delta)
        try container.encode(beta, forKey: .beta)
        try container.encode(responses, forKey: .responses)
        try container.encode(correct, forKey: .correct)
        try container.encode(seed, forKey: .seed)
    }

    func render() -> String {
        func number(_ x: Double?) -> String {
            guard let x else { return "overflows a double" }
            return x.isFinite ? String(x) : (x > 0 ? "inf" : String(x))
        }
        return """
            Theorem 1: exponential tilt of a random reference (\(responses) responses, \(correct) correct, seed \(seed))
              q = pi_ref(C)                          \(number(referenceMass))
              beta, delta                            \(number(beta)), \(number(delta))
              IM-RM margin, min over pairs           \(number(margin))
              IM-RM margin, max over pairs           \(number(marginMax))
              pi(C), summed                          \(number(generationProbability))
              pi(C), closed form                     \(number(closedForm))
              bound e^(delta/beta) q                 \(number(bound))   (ln: \(number(logBound)))
            \(reading)
            """
    }

    /// One sentence on what these numbers show.
    private var reading: String {
        if generationProbability < 0.5 {
            return "Every correct response outranks every incorrect one by delta, yet the tilted policy generates a correct\n"
                + "response only with probability pi(C) < 1/2: verification without generation."
        }
        return "Every correct response outranks every incorrect one by delta; with q e^(delta/beta) this large the tilted\n"
            + "policy also generates correct responses (Theorem 1 bites when q e^(delta/beta) is small)."
    }
}
