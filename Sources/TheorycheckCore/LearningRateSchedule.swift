import Foundation

/// A multiplier on an optimizer's learning rate as a function of the step: constant, or a linear warmup
/// followed by a cosine decay (Loshchilov & Hutter 2017, "SGDR"; the schedule most language-model
/// fine-tuning uses).
///
/// For a run of T steps with W = round(warmupFraction * T) warmup steps, the multiplier of step
/// s = 0, 1, ..., T - 1 is
///
///     (s + 1) / W                                           for s < W,
///     floor + (1 - floor) (1 + cos(pi (s - W) / (T - W))) / 2   for s >= W.
///
/// Mathematical properties (tested): every multiplier lies in (0, 1]; the constant schedule is 1
/// everywhere; the warmup rises linearly and reaches exactly 1 at s = W - 1 and s = W; after the warmup
/// the multiplier never increases and tends to `floor` at the end of the run.
public enum LearningRateSchedule: Sendable, Equatable, Hashable, Codable {
    /// The configured learning rate at every step.
    case constant
    /// A linear warmup over `warmupFraction` of the run, then a cosine decay from 1 down to `floor`.
    case warmupCosine(warmupFraction: Double, floor: Double)

    /// The multiplier of step `step` (0-based) of a run of `totalSteps` steps.
    public func multiplier(step: Int, of totalSteps: Int) -> Double {
        precondition(step >= 0 && step < max(totalSteps, 1), "step \(step) is outside a run of \(totalSteps) steps")
        switch self {
        case .constant:
            return 1
        case .warmupCosine(let warmupFraction, let floor):
            let warmup = Int((warmupFraction * Double(totalSteps)).rounded())
            if step < warmup { return Double(step + 1) / Double(warmup) }
            let decaySteps = max(totalSteps - warmup, 1)
            let progress = Double(step - warmup) / Double(decaySteps)
            // floor > 0 keeps the last step moving; floor = 0 still gives a positive last multiplier,
            // since progress < 1 at every step of the run.
            return floor + (1 - floor) * (1 + cos(Double.pi * progress)) / 2
        }
    }

    /// Throws the first problem, as a sentence that says what to change.
    public func validate() throws {
        guard case .warmupCosine(let warmupFraction, let floor) = self else { return }
        guard warmupFraction.isFinite, (0..<1).contains(warmupFraction) else {
            throw ConfigurationError("the warmup fraction is \(warmupFraction); it must lie in [0, 1), e.g. 0.05")
        }
        guard floor.isFinite, (0...1).contains(floor) else {
            throw ConfigurationError("the cosine floor is \(floor); it must lie in [0, 1], e.g. 0.1")
        }
    }
}
