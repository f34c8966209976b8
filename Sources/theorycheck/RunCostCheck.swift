import RewardDynamics

/// What a run on a user's instance will need, said before it starts: the estimate goes to standard
/// error when it is above a few GiB (unless --quiet), and a run that cannot fit this machine's memory is
/// refused with a sentence that says what to change.
enum RunCostCheck {
    /// Estimates at or above this are printed.
    static let reportedBytes = 2 << 30

    static func check(_ run: RunCostEstimate.Run, instance: Instance, quiet: Bool) throws {
        let estimate = RunCostEstimate(run: run, instance: instance)
        do {
            try estimate.checkFits()
        } catch {
            throw CLIError(error.description)
        }
        if !quiet && estimate.peakBytes >= reportedBytes {
            ProgressLine("estimate", quiet: false).note(estimate.summary)
        }
    }
}
