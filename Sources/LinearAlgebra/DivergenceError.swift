/// A run whose numbers stopped being finite: reported as an error, never printed as figures.
///
/// Every training loop and simulator of the project (the Assumption-1 reward models and their closed
/// forms, the Theorem 2 experiment, TinyLM pretraining and reward-model training, sampling) checks the
/// values it has just computed (the loss, the rewards, the parameters it updated, the logits it read)
/// with `DivergenceError.check` and throws this error at the first NaN or infinity, naming the model,
/// the step, what became non-finite and the setting most likely to blame, in a sentence that says what
/// to change. Derived settings (`LearningRates`, `ExponentialTilt.validate`) and inputs whose squared
/// norms overflow (`HardMarginSVM`) are refused with it before anything runs.
///
/// `step` counts the updates taken before the bad value appeared: step 0 is the starting point (or a
/// derived setting such as lr / beta^2), step t the state after t updates.
public struct DivergenceError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What became non-finite.
    public enum Quantity: String, Sendable, Equatable {
        case loss = "the training loss"
        case reward = "a reward"
        case rewardChange = "a predicted reward change"
        case parameter = "a parameter"
        case logits = "the logits"
        case learningRate = "the learning rate"
        case representationNorm = "the squared norm of a representation"
    }

    /// The setting most likely to blame, with its value.
    public enum Cause: Sendable, Equatable {
        /// The step size (or the product of step size and representation scale) overflowed.
        case learningRateTooLarge(Double)
        /// beta so small that a derived quantity (the IM-RM rate lr / beta^2) is not finite.
        case betaTooSmall(Double)
        /// Representations so large (the value is the largest squared norm ||h||^2) that their inner
        /// products overflow.
        case hiddenStatesTooLarge(Double)
        /// ln p / temperature overflowed.
        case temperatureTooSmall(Double)
        /// The model handed in already holds non-finite parameters.
        case modelNotFinite

        /// One sentence: the likely cause and what to change.
        public var advice: String {
            switch self {
            case .learningRateTooLarge(let rate):
                return "the learning rate \(rate) is probably too large; lower it (by a factor of 10 or more) and run again."
            case .betaTooSmall(let beta):
                return "beta = \(beta) is probably too small (the IM-RM learning rate lr / beta^2 and the reward scale depend on it); raise beta or set the IM-RM learning rate explicitly."
            case .hiddenStatesTooLarge(let squaredNorm):
                return "the hidden states are probably too large (the largest squared norm is \(squaredNorm), so their inner products overflow); rescale them, e.g. export the final hidden states after the model's last norm."
            case .temperatureTooSmall(let temperature):
                return "the sampling temperature \(temperature) is probably too small (ln p / temperature overflows); use a temperature of 1e-3 or more."
            case .modelNotFinite:
                return "the model's parameters are not finite; it was probably trained with too large a learning rate, so lower that and train again."
            }
        }
    }

    /// The model or simulator, e.g. "im_rm" or "im_rm (closed form)".
    public let model: String
    public let step: Int
    public let quantity: Quantity
    /// The first offending value (NaN or an infinity).
    public let value: Double
    public let cause: Cause

    public init(model: String, step: Int, quantity: Quantity, value: Double, cause: Cause) {
        self.model = model
        self.step = step
        self.quantity = quantity
        self.value = value
        self.cause = cause
    }

    public var description: String {
        "\(model) diverged at step \(step): \(quantity.rawValue) became \(value.isNaN ? "nan" : "\(value)"); \(cause.advice)"
    }

    /// The same error with `context` added to the model's name, e.g. "im_rm (alignment 0.5, seed 2)".
    public func inContext(_ context: String) -> DivergenceError {
        DivergenceError(model: "\(model) (\(context))", step: step, quantity: quantity, value: value, cause: cause)
    }

    // MARK: The one finite check

    /// The first NaN or infinity among `values`, or nil when all are finite. One pass, no allocation.
    @inlinable
    public static func firstNonFinite<C: Collection>(_ values: C) -> Double? where C.Element == Double {
        for value in values where !value.isFinite { return value }
        return nil
    }

    /// Throws unless `value` is finite. `cause` is evaluated only when it throws.
    @inlinable
    public static func check(_ value: Double, _ quantity: Quantity, model: @autoclosure () -> String, step: Int,
                             cause: @autoclosure () -> Cause) throws(DivergenceError)
    {
        if !value.isFinite {
            throw DivergenceError(model: model(), step: step, quantity: quantity, value: value, cause: cause())
        }
    }

    /// Throws unless every entry of `values` is finite. `cause` is evaluated only when it throws.
    @inlinable
    public static func check<C: Collection>(_ values: C, _ quantity: Quantity, model: @autoclosure () -> String,
                                            step: Int, cause: @autoclosure () -> Cause) throws(DivergenceError)
        where C.Element == Double
    {
        if let bad = firstNonFinite(values) {
            throw DivergenceError(model: model(), step: step, quantity: quantity, value: bad, cause: cause())
        }
    }

    // MARK: Which setting to blame

    /// Representations are blamed when the largest squared norm ||h||^2 is at least this: entries of
    /// about 1e50 and up, far beyond any trained model's hidden states (whose entries are rarely above
    /// 1e3). The Gram entries are then 1e100 or more, and the products of a few steps overflow at any
    /// usual learning rate.
    public static let hiddenStateBlameThreshold = 1e100

    /// The likely cause of a non-finite value in a read-out trained at `learningRate` on representations
    /// whose largest squared norm is `largestSquaredNorm`: the representations when that norm is beyond
    /// `hiddenStateBlameThreshold` (or itself overflows), otherwise the learning rate.
    public static func likelyCause(learningRate: Double, largestSquaredNorm: Double) -> Cause {
        if !(largestSquaredNorm < hiddenStateBlameThreshold) { return .hiddenStatesTooLarge(largestSquaredNorm) }
        return .learningRateTooLarge(learningRate)
    }

    /// The largest squared row norm of `matrix`, for `likelyCause`: +infinity when one overflows, NaN
    /// when a row holds a NaN.
    public static func largestSquaredRowNorm(_ matrix: Matrix) -> Double {
        var largest = 0.0
        for i in 0..<matrix.rows {
            var total = 0.0
            for j in 0..<matrix.columns {
                let entry = matrix.elements[i * matrix.columns + j]
                total += entry * entry
            }
            largest = NaNPropagating.max(largest, total)
        }
        return largest
    }
}
