import Foundation
import XCTest

/// Report and output paths: a directory, device or FIFO is refused before any work, never replaced; a
/// missing folder is refused the same way for --report and export --output; nothing is left half-made.
final class OutputPathTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("theorycheck-output-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    private func assertRefused(_ arguments: [String], mentioning words: [String], file: StaticString = #filePath,
                               line: UInt = #line) throws
    {
        let run = try CLIHarness.run(arguments)
        XCTAssertNotEqual(run.exitCode, 0, "\(arguments)", file: file, line: line)
        for word in words { XCTAssertTrue(run.standardError.contains(word), run.standardError, file: file, line: line) }
        XCTAssertFalse(run.standardError.contains("NSCocoaErrorDomain"), run.standardError, file: file, line: line)
        XCTAssertEqual(run.standardOutput, "", file: file, line: line)
    }

    func testNonRegularTargetsAreRefusedAndLeftAlone() throws {
        let directory = folder.appendingPathComponent("a-directory.md")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let fifo = folder.appendingPathComponent("fifo.md").path
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        for target in [directory.path, fifo, "/dev/null"] {
            try assertRefused(["dynamics", "--steps", "2", "--report", target], mentioning: ["--report", target])
            try assertRefused(["export", "--output", target], mentioning: ["--output", target])
        }
        var isDirectory: ObjCBool = false
        XCTAssertTrue(FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory) && isDirectory.boolValue)
    }

    func testAMissingFolderIsRefusedTheSameWayByReportAndExport() throws {
        let missing = folder.appendingPathComponent("no-such-folder")
        try assertRefused(["dynamics", "--steps", "2", "--report", missing.appendingPathComponent("r.md").path],
                          mentioning: ["--report", "no-such-folder"])
        try assertRefused(["export", "--output", missing.appendingPathComponent("t.json").path],
                          mentioning: ["--output", "no-such-folder"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: missing.path))
    }

    func testAFigureThatCannotBeWrittenLeavesNoMarkdownAndIsNamed() throws {
        // A directory where the first figure must go: the bundle fails on it and writes nothing else.
        let blocked = folder.appendingPathComponent("r-accuracy-train.svg")
        try FileManager.default.createDirectory(at: blocked, withIntermediateDirectories: true)
        let report = folder.appendingPathComponent("r.md").path
        let run = try CLIHarness.run(["dynamics", "--steps", "2", "--quiet", "--report", report])
        XCTAssertNotEqual(run.exitCode, 0)
        XCTAssertTrue(run.standardError.contains("r-accuracy-train.svg"), run.standardError)
        XCTAssertFalse(FileManager.default.fileExists(atPath: report), "no markdown without its figures")
        XCTAssertEqual(run.standardOutput, "", "nothing printed for a run whose report failed")
    }
}
