import ArgumentParser
import Foundation
import LinearAlgebra
import Tasks

struct TiltCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tilt",
        abstract: "Theorem 1: an implicit reward model can verify perfectly while its policy almost never generates.",
        discussion: """
            Builds a random reference distribution over --responses responses, --correct of them correct, \
            with total mass q on the correct ones (Dirichlet(1, ..., 1) weights within each group, seeded), \
            and tilts it: pi(y) = pi_ref(y) exp((delta/beta) 1[y correct]) / Z. The implicit reward \
            beta ln(pi/pi_ref) then ranks every correct response above every incorrect one by exactly \
            delta, while the policy puts only pi(C) = q e^(delta/beta) / (1 - q + q e^(delta/beta)) <= \
            e^(delta/beta) q on the correct set (Razin et al., Theorem 1).

            Printed: the smallest margin over all correct/incorrect pairs ("margin"; the largest is \
            "margin_max"), pi(C) summed over the tilted distribution ("generation_probability"), the \
            closed form ("closed_form") and the bound ("bound", "inf" when it overflows).
            """)

    @Option(help: "q, the reference mass of the correct responses, strictly between 0 and 1.")
    var q: Double

    @Option(help: "delta, the margin the tilt puts between correct and incorrect responses (positive).")
    var delta: Double

    @Option(help: "beta, the implicit reward's temperature (positive).")
    var beta: Double

    @Option(help: "Size of the response set (at least 2).")
    var responses = 1000

    @Option(help: "Number of correct responses, between 1 and responses - 1.")
    var correct = 10

    @Option(help: "Seed of the random reference distribution and of which responses are correct.")
    var seed: UInt64 = 0

    @Flag(name: .long, help: "Print machine-readable JSON on standard output.")
    var json = false

    func validate() throws {
        guard q.isFinite, q > 0, q < 1 else {
            throw ValidationError("--q must lie strictly between 0 and 1 (a proper subset carries some but not all mass), got \(q)")
        }
        guard delta.isFinite, delta > 0 else { throw ValidationError("--delta must be a positive number, got \(delta)") }
        guard beta.isFinite, beta > 0 else { throw ValidationError("--beta must be a positive number, got \(beta)") }
        guard responses >= 2 else {
            throw ValidationError("--responses must be at least 2 (one correct and one incorrect response), got \(responses)")
        }
        guard correct >= 1, correct < responses else {
            throw ValidationError("--correct must be between 1 and --responses - 1 = \(responses - 1), got \(correct)")
        }
    }

    func run() throws {
        var generator = SeededGenerator(seed: seed)
        let reference = LabelledReference.random(responseCount: responses, correctCount: correct, correctMass: q,
                                                 using: &generator)
        let tilt = ExponentialTilt(reference, beta: beta, margin: delta)
        let output = TiltOutput(tilt: tilt, requestedMass: q, seed: seed)
        if json {
            try printJSON(output)
        } else {
            print(output.render())
        }
    }
}

/// What `theorycheck tilt` prints, in the JSON layout plus the inputs that produced it.
struct TiltOutput: Encodable {
    let margin: Double
    let marginMax: Double
    let generationProbability: Double
    let closedForm: Double
    let bound: Double
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
        case marginMax = "margin_max"
        case generationProbability = "generation_probability"
        case closedForm = "closed_form"
        case logBound = "log_bound"
        case referenceMass = "reference_mass"
    }

    init(tilt: ExponentialTilt, requestedMass: Double, seed: UInt64) {
        let summary = tilt.summary
        // validate() guarantees at least one correct and one incorrect response, so margins exist.
        margin = summary.minimumMargin!
        marginMax = summary.maximumMargin!
        generationProbability = summary.generationProbability
        closedForm = summary.closedFormGenerationProbability
        bound = summary.generationBound
        logBound = summary.logGenerationBound
        referenceMass = summary.referenceCorrectMass
        q = requestedMass
        delta = tilt.margin
        beta = tilt.beta
        responses = summary.responseCount
        correct = summary.correctCount
        self.seed = seed
    }

    func render() -> String {
        func number(_ x: Double) -> String { x.isFinite ? String(x) : (x > 0 ? "inf" : String(x)) }
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
