import Foundation
import XCTest

/// What one run of the built `theorycheck` binary printed and returned.
struct CLIRun {
    let exitCode: Int32
    let standardOutput: String
    let standardError: String

    /// Standard output parsed as a JSON object (fails the test when it is not one).
    func jsonObject(file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let value = try JSONSerialization.jsonObject(with: Data(standardOutput.utf8))
        guard let object = value as? [String: Any] else {
            XCTFail("standard output is not a JSON object: \(standardOutput.prefix(200))", file: file, line: line)
            return [:]
        }
        return object
    }
}

/// Runs the `theorycheck` executable that `swift test` built beside the test bundle.
enum CLIHarness {
    static var executable: URL {
        // On Linux the test runner lives in the build products folder, beside the executable.
        let candidates = [Bundle.main.bundleURL] + Bundle.allBundles.map { $0.bundleURL.deletingLastPathComponent() }
        for folder in candidates {
            let url = folder.appendingPathComponent("theorycheck")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return Bundle.main.bundleURL.appendingPathComponent("theorycheck")
    }

    static func run(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> CLIRun {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        // Both streams go to files, so a large output can never block the child on a full pipe.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("theorycheck-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let outputURL = folder.appendingPathComponent("stdout")
        let errorURL = folder.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errorURL.path, contents: nil)
        let output = try FileHandle(forWritingTo: outputURL)
        let error = try FileHandle(forWritingTo: errorURL)
        process.standardOutput = output
        process.standardError = error
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try output.close()
        try error.close()
        return CLIRun(exitCode: process.terminationStatus,
                      standardOutput: String(decoding: try Data(contentsOf: outputURL), as: UTF8.self),
                      standardError: String(decoding: try Data(contentsOf: errorURL), as: UTF8.self))
    }

    /// A fresh temporary directory, removed when the test ends.
    static func temporaryDirectory(for testCase: XCTestCase) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("theorycheck-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        testCase.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// Asserts a clean failure: nonzero exit, nothing on stdout, and a short message on stderr with no trace.
    static func assertCleanFailure(_ run: CLIRun, mentioning words: [String], file: StaticString = #filePath,
                                   line: UInt = #line)
    {
        XCTAssertNotEqual(run.exitCode, 0, "expected a nonzero exit", file: file, line: line)
        XCTAssertFalse(run.standardError.contains("Stack dump") || run.standardError.contains("Fatal error")
                       || run.standardError.contains("Precondition failed"),
                       "stderr shows a crash: \(run.standardError)", file: file, line: line)
        for word in words {
            XCTAssertTrue(run.standardError.localizedCaseInsensitiveContains(word),
                          "stderr should mention \"\(word)\": \(run.standardError)", file: file, line: line)
        }
    }
}
