import Foundation

/// The steps of a run at which figures are recorded: one type for every experiment.
///
/// Every schedule starts at 0, ends at `total` (for total > 0), is strictly increasing, and contains
/// every power of ten below `total`.
public enum StepSchedule: Sendable, Equatable, Hashable {
    /// 0, 1, 10, 100, ... below the total, and the total: the checkpoints of the dynamics tables.
    case decades
    /// 0, 1, 2, 5, 10, 20, 50, ... below the total, and the total: the checkpoints of Persona.
    case oneTwoFive
    /// 0, then round(10^(j / perDecade)) for j = 0, 1, 2, ... below the total, and the total: for
    /// quantities that move like log t (the EX-RM head's norm and its approach to u*). At most
    /// perDecade * log10(total) + 2 steps.
    case logSpaced(perDecade: Int)
    /// Every step up to 10, then a geometric grid of ratio 1.08 (about 30 per decade), and every decade:
    /// the steps of accuracy-over-steps plots.
    case trajectory

    /// The recorded steps of a run of `total` steps, ascending, without duplicates.
    public func steps(upTo total: Int) -> [Int] {
        precondition(total >= 0, "a run has 0 or more steps, got \(total)")
        switch self {
        case .decades:
            var result = [0]
            var power = 1
            while power < total {
                result.append(power)
                power *= 10
            }
            if total > 0 { result.append(total) }
            return result
        case .oneTwoFive:
            var result = [0]
            var decade = 1
            while decade < total {
                for multiple in [1, 2, 5] where decade * multiple < total { result.append(decade * multiple) }
                decade *= 10
            }
            if total > 0 { result.append(total) }
            return result
        case .logSpaced(let perDecade):
            precondition(perDecade >= 1, "perDecade must be at least 1, got \(perDecade)")
            var result: Set<Int> = [0, total]
            var exponent = 0
            while true {
                let value = Int(pow(10, Double(exponent) / Double(perDecade)).rounded())
                if value >= total { break }
                result.insert(value)
                exponent += 1
            }
            return result.sorted()
        case .trajectory:
            var result = Set(0...min(total, 10)).union(StepSchedule.decades.steps(upTo: total))
            var value = 10.0
            while value < Double(total) {
                result.insert(Int(value.rounded()))
                value *= 1.08
            }
            result.insert(total)
            return result.sorted()
        }
    }
}
