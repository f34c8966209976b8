import ExperimentReports
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
            closed form ("closed_form") and the bound ("bound"; null with "bound_overflows": true when it overflows a double, "log_bound" is always finite).
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
        try OptionBounds.require(responses, in: 2...10_000_000, "responses",
                                 reason: "one correct and one incorrect response at least; 10 million take a second")
        guard correct >= 1, correct < responses else {
            throw ValidationError("--correct must be between 1 and --responses - 1 = \(responses - 1), got \(correct)")
        }
    }

    func run() throws {
        var generator = SeededGenerator(seed: seed)
        let reference = LabelledReference.random(responseCount: responses, correctCount: correct, correctMass: q,
                                                 using: &generator)
        do {
            try ExponentialTilt.validate(beta: beta, margin: delta)
        } catch {
            throw CLIError("\(error)")
        }
        let tilt = ExponentialTilt(reference, beta: beta, margin: delta)
        try emit(TiltReport(tilt: tilt, requestedMass: q, seed: seed), json: json)
    }
}
