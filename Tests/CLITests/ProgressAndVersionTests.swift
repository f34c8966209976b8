import XCTest

/// Progress lines reach a stderr that is not a terminal (the harness pipes it), with the elapsed time;
/// --quiet silences them; standard output is the same either way.
final class ProgressAndVersionTests: XCTestCase {
    func testProgressGoesToAPipedStderrWithElapsedTimeAndQuietSilencesIt() throws {
        let loud = try CLIHarness.run(["dynamics", "--steps", "20", "--json"])
        XCTAssertEqual(loud.exitCode, 0, loud.standardError)
        let lines = loud.standardError.split(separator: "\n")
        XCTAssertGreaterThanOrEqual(lines.count, 2, loud.standardError)
        XCTAssertLessThanOrEqual(lines.count, 11, "about one line per tenth of the run when not a terminal")
        XCTAssertTrue(lines.last!.hasPrefix("dynamics: 20/20 ("), loud.standardError)
        XCTAssertTrue(lines.last!.hasSuffix(" s)"), loud.standardError)
        XCTAssertFalse(loud.standardError.contains("\r"), "no carriage returns in a log")

        let quiet = try CLIHarness.run(["dynamics", "--steps", "20", "--json", "--quiet"])
        XCTAssertEqual(quiet.exitCode, 0, quiet.standardError)
        XCTAssertEqual(quiet.standardError, "")
        XCTAssertEqual(quiet.standardOutput, loud.standardOutput)
    }

    func testVersion() throws {
        let run = try CLIHarness.run(["--version"])
        XCTAssertEqual(run.exitCode, 0)
        XCTAssertTrue(run.standardOutput.hasPrefix("theorycheck "), run.standardOutput)
    }

    func testModelIsAChoiceWithTheChoicesInTheError() throws {
        let run = try CLIHarness.run(["dynamics", "--model", "gpt-5"])
        XCTAssertNotEqual(run.exitCode, 0)
        XCTAssertTrue(run.standardError.contains("tiny-lm"), run.standardError)
        XCTAssertFalse(run.standardError.contains("Fatal"), run.standardError)
    }
}
