import TheorycheckCore
import LinearAlgebra

/// The learning rates of a run that trains an EX-RM and an IM-RM side by side, and their checks.
///
/// The IM-RM's reward is beta times log-probabilities and its gradient carries another beta, so a step
/// of eta_IM moves IM-RM rewards by about eta_IM beta^2 per unit the EX-RM's step of eta moves EX-RM
/// rewards: eta_IM = eta / beta^2 makes both move at the same pace in reward units (the default of
/// `dynamics`, `theorem2` and `sweep`). For beta below about 1e-154, beta^2 underflows to 0 and that rate
/// is infinite; every experiment refuses such a rate up front instead of printing NaN figures.
public enum LearningRates {
    /// eta / beta^2. Throws `DivergenceError` (quantity `.learningRate`, step 0) when it is not finite:
    /// blamed on beta when beta^2 is not a normal double (beta below about 1.5e-154), otherwise on eta.
    public static func implicitDefault(explicitLearningRate: Double, beta: Double) throws(DivergenceError) -> Double {
        let rate = explicitLearningRate / (beta * beta)
        try DivergenceError.check(rate, .learningRate, model: RewardModelKind.implicit.rawValue, step: 0,
                                  cause: blame(rate: explicitLearningRate, beta: beta))
        return rate
    }

    /// Throws `DivergenceError` (step 0) unless both rates are finite. A non-finite IM-RM rate is blamed
    /// on beta when beta^2 is not a normal double (the default eta / beta^2 overflows because of beta),
    /// otherwise on the rate itself.
    public static func validate(explicit: Double, implicit: Double, beta: Double) throws(DivergenceError) {
        try DivergenceError.check(explicit, .learningRate, model: RewardModelKind.explicit.rawValue, step: 0,
                                  cause: .learningRateTooLarge(explicit))
        try DivergenceError.check(implicit, .learningRate, model: RewardModelKind.implicit.rawValue, step: 0,
                                  cause: blame(rate: implicit, beta: beta))
    }

    private static func blame(rate: Double, beta: Double) -> DivergenceError.Cause {
        (beta * beta).isNormal ? .learningRateTooLarge(rate) : .betaTooSmall(beta)
    }
}
