import XCTest

/// Every option value that used to crash, hang or try to allocate terabytes is refused up front with a
/// sentence naming the option, and a nonzero exit, before any work starts.
final class OptionBoundsTests: XCTestCase {
    private static let huge = "9223372036854775807"

    private func assertRefused(_ arguments: [String], mentions option: String, file: StaticString = #filePath,
                               line: UInt = #line) throws
    {
        let run = try CLIHarness.run(arguments)
        XCTAssertNotEqual(run.exitCode, 0, "\(arguments) was accepted", file: file, line: line)
        XCTAssertTrue(run.standardError.contains(option), "\(arguments): \(run.standardError)", file: file, line: line)
        XCTAssertFalse(run.standardError.contains("Fatal error"), run.standardError, file: file, line: line)
        XCTAssertEqual(run.standardOutput, "", "nothing on stdout for a refused run", file: file, line: line)
    }

    func testIntegerOptionsHaveUpperBounds() throws {
        let cases: [([String], String)] = [
            (["dynamics", "--steps", Self.huge], "--steps"),
            (["dynamics", "--steps", "2147483648"], "--steps"),
            (["dynamics", "--model", "tiny-lm", "--steps", "2147483648"], "--steps"),
            (["sweep", "--steps", Self.huge], "--steps"),
            (["persona", "--epochs", Self.huge], "--epochs"),
            (["persona", "--batch-size", Self.huge], "--batch-size"),
            (["persona", "--width", Self.huge], "--width"),
            (["persona", "--context", Self.huge], "--context"),
            (["persona", "--layers", Self.huge], "--layers"),
            (["persona", "--train-statements", Self.huge], "--train-statements"),
            (["persona", "--test-statements", Self.huge], "--test-statements"),
            (["persona", "--pairs-per-statement", Self.huge], "--pairs-per-statement"),
            (["hamiltonian", "--steps", Self.huge], "--steps"),
            (["hamiltonian", "--samples-per-graph", Self.huge], "--samples-per-graph"),
            (["hamiltonian", "--layers", Self.huge], "--layers"),
            (["hamiltonian", "--reference-steps", Self.huge], "--reference-steps"),
            (["hamiltonian", "--train", Self.huge], "--train"),
            (["hamiltonian", "--test", Self.huge], "--test"),
            (["tilt", "--q", "0.1", "--delta", "1", "--beta", "1", "--responses", "2147483648"], "--responses"),
            (["bench", "--repeats", Self.huge], "--repeats"),
        ]
        for (arguments, option) in cases { try assertRefused(arguments, mentions: option) }
    }

    func testRealOptionsThatWouldDivergeOrUnderflowAreRefused() throws {
        let cases: [([String], String)] = [
            (["hamiltonian", "--lr", "1e100"], "--lr"),
            (["hamiltonian", "--reference-lr", "1e100"], "--reference-lr"),
            (["hamiltonian", "--temperature", "1e-320"], "--temperature"),
            (["persona", "--lr", "1e100"], "--lr"),
            (["dynamics", "--lr", "1e100"], "--lr"),
            (["step", "--instance", "x.json", "--eta", "inf"], "--eta"),
            (["tilt", "--q", "0.5", "--delta", "1", "--beta", "1e-320"], "beta"),
        ]
        for (arguments, option) in cases { try assertRefused(arguments, mentions: option) }
    }

    func testADerivedLearningRateThatOverflowsIsRefused() throws {
        // lr / beta^2 = 0.01 / 1e-400 overflows: the default IM-RM rate must be checked, not used.
        try assertRefused(["dynamics", "--steps", "5", "--beta", "1e-160"], mentions: "lr / beta^2")
    }
}
