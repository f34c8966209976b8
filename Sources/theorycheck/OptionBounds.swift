import ArgumentParser
import RewardDynamics

/// The checks every subcommand applies to its numeric options, each failing with a sentence that
/// names the option, the value and what to use instead. Upper bounds are what a real run on a laptop
/// can use (a run that would take days or overflow memory is refused up front, never started).
enum OptionBounds {
    /// `value` must lie in `range`; `reason` (optional) says why the upper end is where it is.
    static func require(_ value: Int, in range: ClosedRange<Int>, _ option: String, reason: String? = nil) throws {
        guard range.contains(value) else {
            let because = reason.map { " (\($0))" } ?? ""
            throw ValidationError("--\(option) must lie in \(range.lowerBound)...\(range.upperBound)\(because), got \(value)")
        }
    }

    /// A comma-separated list of integers ("0,50,150"), strictly increasing, each in `range`, at most
    /// `maximumCount` of them; returns the values.
    static func increasingIntegers(_ text: String, in range: ClosedRange<Int>, maximumCount: Int, _ option: String)
        throws -> [Int]
    {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        let values = parts.map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, values.allSatisfy({ $0 != nil }) else {
            throw ValidationError("--\(option) must be comma-separated whole numbers like 2,5,20, got \"\(text)\"")
        }
        let numbers = values.map { $0! }
        guard numbers.count <= maximumCount else {
            throw ValidationError("--\(option) lists \(numbers.count) values; give at most \(maximumCount)")
        }
        for value in numbers where !range.contains(value) {
            throw ValidationError("--\(option) values must lie in \(range.lowerBound)...\(range.upperBound), got \(value)")
        }
        for index in numbers.indices.dropFirst() where numbers[index] <= numbers[index - 1] {
            throw ValidationError(
                "--\(option) must be strictly increasing, but \(numbers[index]) follows \(numbers[index - 1]) in \"\(text)\"")
        }
        return numbers
    }

    /// A positive, finite number no larger than `maximum`.
    static func requirePositive(_ value: Double, _ option: String, maximum: Double = 1e12) throws {
        guard value > 0, value.isFinite else {
            throw ValidationError("--\(option) must be a positive number, got \(value)")
        }
        guard value <= maximum else {
            throw ValidationError("--\(option) must be at most \(maximum), got \(value); a step that large diverges")
        }
    }

    /// A number in a closed interval.
    static func require(_ value: Double, in range: ClosedRange<Double>, _ option: String) throws {
        guard range.contains(value) else {
            throw ValidationError("--\(option) must lie in [\(range.lowerBound), \(range.upperBound)], got \(value)")
        }
    }

    /// A derived value (such as the tiny-LM default IM-RM rate lr / beta) must be a positive, finite number.
    static func requireDerivedFinite(_ value: Double, _ description: String, change: String) throws {
        guard value > 0, value.isFinite else {
            throw ValidationError("\(description) is \(value), not a positive finite number; \(change)")
        }
    }
}

/// The shape of a small transformer a laptop can train here: checked before anything is allocated.
enum TinyLMShapeBounds {
    static func check(width: Int, layers: Int, heads: Int) throws {
        try OptionBounds.require(width, in: 1...1024, "width")
        try OptionBounds.require(layers, in: 1...48, "layers")
        try OptionBounds.require(heads, in: 1...64, "heads")
        guard width % heads == 0 else {
            throw ValidationError("--width (\(width)) must be a multiple of --heads (\(heads))")
        }
    }
}

/// The fixed-representation default IM-RM rate lr / beta^2 (`LearningRates.implicitDefault`), or one line
/// saying why it cannot be used (beta so small that beta^2 underflows, or a rate that overflows).
func defaultImplicitRate(lr: Double, beta: Double) throws -> Double {
    do {
        return try LearningRates.implicitDefault(explicitLearningRate: lr, beta: beta)
    } catch {
        throw CLIError("the default IM-RM learning rate lr / beta^2 cannot be used: \(error); give --im-lr")
    }
}
