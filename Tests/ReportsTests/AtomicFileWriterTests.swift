import Foundation
import Reports
import XCTest

final class AtomicFileWriterTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("atomic-writer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    private func bundle(figures: [String] = ["a.svg", "b.svg"]) -> ReportBundle {
        var report = MarkdownReport(title: "T")
        report.paragraph("body")
        return ReportBundle(report: report, figures: figures.map { ReportFigure(fileName: $0, svg: "<svg>\($0)</svg>") })
    }

    private func contents() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
    }

    private func outputError(_ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line) -> OutputFileError? {
        do {
            try body()
            XCTFail("expected an OutputFileError", file: file, line: line)
        } catch let error as OutputFileError {
            XCTAssertFalse(error.description.contains("NSCocoaErrorDomain"), error.description, file: file, line: line)
            XCTAssertFalse(error.description.contains("\n"), error.description, file: file, line: line)
            XCTAssertEqual(error.localizedDescription, error.description, "what a CLI printing localizedDescription shows",
                           file: file, line: line)
            return error
        } catch {
            XCTFail("expected an OutputFileError, got \(error)", file: file, line: line)
        }
        return nil
    }

    func testABundleIsWrittenWholeReportFirstInTheResultAndNoTemporaryFolderStays() throws {
        let path = folder.appendingPathComponent("r.md").path
        let written = try bundle().write(markdownPath: path)
        XCTAssertEqual(written, [path, folder.appendingPathComponent("a.svg").path, folder.appendingPathComponent("b.svg").path])
        XCTAssertEqual(try contents(), ["a.svg", "b.svg", "r.md"])
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), bundle().report.render())
        XCTAssertEqual(try String(contentsOf: folder.appendingPathComponent("b.svg"), encoding: .utf8), "<svg>b.svg</svg>")
        // Writing again replaces the files in place.
        try bundle().write(markdownPath: path)
        XCTAssertEqual(try contents(), ["a.svg", "b.svg", "r.md"])
    }

    func testAFigureThatCannotBeWrittenLeavesNoMarkdownAndIsNamed() throws {
        // Old report from an earlier run: must survive a failed rewrite unchanged.
        let path = folder.appendingPathComponent("r.md").path
        try Data("old report".utf8).write(to: URL(fileURLWithPath: path))
        let blocked = folder.appendingPathComponent("b.svg")
        try FileManager.default.createDirectory(at: blocked, withIntermediateDirectories: false)
        let error = outputError { try bundle().write(markdownPath: path) }
        XCTAssertEqual(error?.path, blocked.path)
        XCTAssertEqual(error?.description, "cannot write \(blocked.path): it is a directory, not a regular file; choose a file path")
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "old report", "the markdown is untouched")
        XCTAssertEqual(try contents(), ["b.svg", "r.md"], "no figure, no temporary folder left behind")

        // A figure whose name the file system refuses (over NAME_MAX): named too, and no markdown.
        try FileManager.default.removeItem(atPath: path)
        let longName = String(repeating: "f", count: 300) + ".svg"
        let long = outputError { try bundle(figures: ["a.svg", longName]).write(markdownPath: path) }
        XCTAssertEqual(long?.path, folder.appendingPathComponent(longName).path)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
        XCTAssertEqual(try contents(), ["b.svg"])
    }

    func testDirectoriesFIFOsAndDevicesAreRefusedNeverReplaced() throws {
        let directory = folder.appendingPathComponent("report.md")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: false)
        let refused = outputError { try bundle().write(markdownPath: directory.path) }
        XCTAssertEqual(refused?.reason, "it is a directory, not a regular file; choose a file path")
        XCTAssertEqual(try contents(), ["report.md"], "figures are not written when the markdown target is refused")

        let fifo = folder.appendingPathComponent("pipe.json").path
        XCTAssertEqual(mkfifo(fifo, 0o644), 0)
        let pipe = outputError { try AtomicFileWriter.write(Data("{}".utf8), to: fifo) }
        XCTAssertEqual(pipe?.reason.hasPrefix("it is a named pipe (FIFO"), true, pipe?.reason ?? "")
        XCTAssertEqual(FileSystemPath.kind(of: fifo), .fifo, "still a FIFO")

        let device = outputError { try AtomicFileWriter.write(Data("x".utf8), to: "/dev/null") }
        XCTAssertEqual(device?.description, "cannot write /dev/null: it is a character device, not a regular file; choose a file path")
        XCTAssertEqual(FileSystemPath.kind(of: "/dev/null"), .characterDevice)
    }

    func testAMissingFolderIsAClearErrorUnlessAskedToCreateIt() throws {
        let missing = folder.appendingPathComponent("no/such/out.json").path
        let error = outputError { try AtomicFileWriter.write(Data("{}".utf8), to: missing) }
        XCTAssertEqual(error?.description, "cannot write \(folder.appendingPathComponent("no/such").path): the folder does not exist; create it first")
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("no").path))
        try AtomicFileWriter.write(Data("{}".utf8), to: missing, createMissingFolder: true)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: missing)), Data("{}".utf8))

        // A file where a folder should be: named, in a sentence.
        let blocker = folder.appendingPathComponent("file")
        try Data("x".utf8).write(to: blocker)
        let blocked = outputError { try bundle().write(markdownPath: blocker.appendingPathComponent("sub/r.md").path) }
        XCTAssertEqual(blocked?.reason, "the folder could not be created: \(blocker.path) is a regular file, not a folder")
    }

    func testWritingThroughASymbolicLinkReplacesTheFileItPointsTo() throws {
        let real = folder.appendingPathComponent("real.json")
        try Data("old".utf8).write(to: real)
        let link = folder.appendingPathComponent("link.json")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: real)
        try AtomicFileWriter.write(Data("new".utf8), to: link.path)
        XCTAssertEqual(try String(contentsOf: real, encoding: .utf8), "new")
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: link.path), real.path, "the link is kept")

        let dangling = folder.appendingPathComponent("dangling.json")
        try FileManager.default.createSymbolicLink(at: dangling, withDestinationURL: folder.appendingPathComponent("gone"))
        let error = outputError { try AtomicFileWriter.write(Data("x".utf8), to: dangling.path) }
        XCTAssertEqual(error?.reason, "it is a symbolic link to a missing file, not a regular file; choose a file path")
    }
}
