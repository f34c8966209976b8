import LinearAlgebra
import XCTest

/// One case of a seeded property sweep: its seed, a generator seeded with it, and a label for failures.
public struct SweepCase {
    public let seed: UInt64
    public var generator: SeededGenerator
    public let shape: String
}

/// Runs `body` once per seed and shape, and when an assertion inside fails, the failure message names
/// the seed and the shape so the case can be replayed alone.
///
/// Counts stay small on purpose: the whole suite must run in minutes on two cores.
public func propertySweep<Shape>(
    seeds: Range<UInt64> = 0..<8, shapes: [Shape],
    file: StaticString = #filePath, line: UInt = #line,
    _ body: (inout SweepCase, Shape) throws -> Void
) rethrows {
    for shape in shapes {
        for seed in seeds {
            var sweep = SweepCase(seed: seed, generator: SeededGenerator(seed: seed), shape: "\(shape)")
            let before = failureCount()
            try body(&sweep, shape)
            if failureCount() > before {
                XCTFail("property failed at seed \(seed), shape \(shape)", file: file, line: line)
                return
            }
        }
    }
}

/// Same as `propertySweep(seeds:shapes:)` with a single, unnamed shape.
public func propertySweep(
    seeds: Range<UInt64> = 0..<8, file: StaticString = #filePath, line: UInt = #line,
    _ body: (inout SweepCase) throws -> Void
) rethrows {
    try propertySweep(seeds: seeds, shapes: ["-"], file: file, line: line) { sweep, _ in try body(&sweep) }
}

/// Failures recorded so far in the running test, counted through an observer.
private func failureCount() -> Int {
    FailureCounter.shared.count
}

private final class FailureCounter: NSObject, XCTestObservation, @unchecked Sendable {
    static let shared: FailureCounter = {
        let counter = FailureCounter()
        XCTestObservationCenter.shared.addTestObserver(counter)
        return counter
    }()

    var count = 0

    func testCase(_ testCase: XCTestCase, didFailWithDescription description: String, inFile filePath: String?,
                  atLine lineNumber: Int)
    {
        count += 1
    }
}
