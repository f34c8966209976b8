import Foundation
import InstanceIO
import Reports
import RewardDynamics
import TestSupport
import XCTest

final class InstanceLoaderTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("InstanceLoaderTests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try FileManager.default.removeItem(at: directory)
    }

    func write(_ data: Data, _ name: String) throws -> String {
        let url = directory.appendingPathComponent(name)
        try data.write(to: url)
        return url.path
    }

    func assertLoadError(_ path: String, mentioning words: [String], file: StaticString = #filePath, line: UInt = #line) {
        do {
            _ = try InstanceLoader.load(path: path)
            XCTFail("loaded \(path)", file: file, line: line)
        } catch {
            let message = error.description
            XCTAssertFalse(message.contains("\n"), "one line: \(message)", file: file, line: line)
            XCTAssert(message.contains(path), "names the path: \(message)", file: file, line: line)
            for word in words {
                XCTAssert(message.contains(word), "\"\(message)\" does not mention \"\(word)\"", file: file, line: line)
            }
        }
    }

    /// The two formats of one instance load to the same instance, whatever the file is named.
    func testJSONAndSafetensorsOfOneInstanceLoadEqual() throws {
        try propertySweep(seeds: 0..<4, shapes: InstanceShape.sweep) { sweep, shape in
            let instance = InstanceFixtures.random(shape, .awkward, using: &sweep.generator)
            let jsonPath = try write(InstanceJSON.encode(instance), "instance-\(sweep.seed).bin")
            let safetensorsPath = try write(InstanceSafetensors.encode(instance), "instance-\(sweep.seed).json")
            let fromJSON = try InstanceLoader.load(path: jsonPath)
            let fromSafetensors = try InstanceLoader.load(path: safetensorsPath)
            assertIdentical(fromJSON, fromSafetensors)
            assertIdentical(fromJSON, instance)
        }
    }

    func testDetectionByContent() throws {
        XCTAssertEqual(InstanceLoader.detectFormat(Array(" \n\t{\"beta\": 1}".utf8)), .json)
        XCTAssertEqual(InstanceLoader.detectFormat([0xEF, 0xBB, 0xBF] + Array("{}".utf8)), .json)
        XCTAssertEqual(InstanceLoader.detectFormat([UInt8](try InstanceSafetensors.encode(InstanceFixtures.small()))), .safetensors)
        XCTAssertNil(InstanceLoader.detectFormat(Array("hello".utf8)))
        XCTAssertNil(InstanceLoader.detectFormat(Array("[1, 2]".utf8)))

        // A header of 123 bytes: the length's first byte is 0x7B, '{'. It must still load as safetensors.
        let data = [UInt8](try InstanceSafetensors.encode(InstanceFixtures.small()))
        var length = 0
        for position in 0..<8 { length |= Int(data[position]) << (8 * position) }
        var header = Array(String(decoding: data[8..<(8 + length)], as: UTF8.self)
            .trimmingCharacters(in: .whitespaces).utf8)
        let target = (header.count / 256 + 1) * 256 + 123
        header += Array(repeating: UInt8(ascii: " "), count: target - header.count)
        var padded: [UInt8] = []
        for position in 0..<8 { padded.append(UInt8(truncatingIfNeeded: target >> (8 * position))) }
        padded += header + data[(8 + length)...]
        XCTAssertEqual(padded[0], UInt8(ascii: "{"))
        XCTAssertEqual(InstanceLoader.detectFormat(padded), .safetensors)
        assertIdentical(try InstanceLoader.load(data: Data(padded)), InstanceFixtures.small())
    }

    func testUnloadableFilesGiveOneLineNamingThePath() throws {
        assertLoadError(directory.appendingPathComponent("absent.json").path, mentioning: ["no such file"])
        assertLoadError(try write(Data(), "empty"), mentioning: ["empty"])
        assertLoadError(try write(Data("hello world".utf8), "text"), mentioning: ["not JSON", "past the end"])
        let badJSON = InstanceJSON.encodeString(InstanceFixtures.small()).replacingOccurrences(of: "\"beta\": 0.1", with: "\"beta\": true")
        assertLoadError(try write(Data(badJSON.utf8), "bad.json"), mentioning: ["beta: expected a number, got a boolean"])
        let truncated = try InstanceSafetensors.encode(InstanceFixtures.small()).dropLast(3)
        assertLoadError(try write(Data(truncated), "cut.safetensors"), mentioning: ["safetensors", "past the end"])
        // An id with a newline must not break the one-line rule.
        assertLoadError(try write(Data(#"{"beta": 1, "unembedding": [[1]], "sequences": {"a\nb": 1}}"#.utf8), "nl.json"),
                        mentioning: ["sequences.a b"])
    }

    func testDevicesPipesAndFoldersSayWhatTheyAreAndAreNeverRead() throws {
        // Said by kind before any read: /dev/zero would otherwise be read without end.
        assertLoadError("/dev/zero", mentioning: ["/dev/zero is a character device, not an instance file"])
        assertLoadError("/dev/null", mentioning: ["/dev/null is a character device, not an instance file"])
        assertLoadError(directory.path, mentioning: ["\(directory.path) is a directory, not an instance file"])
        let fifo = directory.appendingPathComponent("fifo").path
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        // Opening a FIFO without a writer would block this test forever; refusing it by kind does not.
        assertLoadError(fifo, mentioning: ["is a named pipe (FIFO, e.g. piped standard input), not an instance file",
                                           "save it to a file first"])
        do {
            _ = try InstanceLoader.load(path: "-")
            XCTFail("loaded standard input")
        } catch {
            XCTAssertEqual(error.description,
                           "cannot load instance -: reading an instance from standard input is not supported; save it to a file and pass its path")
        }
        // Piped standard input as /dev/stdin is a FIFO (or a terminal or /dev/null): refused by kind unless
        // the test runner redirected a regular file into it.
        if FileSystemPath.kind(of: "/dev/stdin") != .regularFile {
            assertLoadError("/dev/stdin", mentioning: ["/dev/stdin is a", "not an instance file"])
        }
    }

    func testAMillionCharacterIdIsNotEchoedWhole() throws {
        let id = String(repeating: "x", count: 1_000_000)
        let json = #"{"beta": 1, "unembedding": [[1]], "sequences": {"a": {"tokens": [0], "hidden": [[1], [1]]}}, "#
            + #""train": [{"chosen": "a", "rejected": "\#(id)"}], "eval": {}}"#
        let path = try write(Data(json.utf8), "long-id.json")
        do {
            _ = try InstanceLoader.load(path: path)
            XCTFail("loaded an instance naming an unknown sequence")
        } catch {
            let message = error.description
            XCTAssertTrue(message.contains("names unknown sequence \"xxx"), message)
            XCTAssertTrue(message.contains("characters omitted]"), message)
            XCTAssertLessThan(message.count, 1000, "the error line stays readable")
            XCTAssertFalse(message.contains("\n"))
        }
        XCTAssertEqual(InstanceValidationError.abbreviated("short"), "short")
        XCTAssertEqual(InstanceValidationError.abbreviated(String(repeating: "a", count: 10) + String(repeating: "b", count: 10), limit: 6),
                       "aaaa…[14 characters omitted]…bb")
    }

    /// TRL preference data given as an instance: the error says what it is and how to export it.
    func testPreferenceDataIsNamedAsSuch() throws {
        let standard = #"{"prompt": "Is the sky blue?", "chosen": " Yes.", "rejected": " No."}"#
        let implicit = #"{"chosen": "Q: sky? A: blue", "rejected": "Q: sky? A: green"}"#
        for (name, text, keys) in [
            ("standard.jsonl", standard + "\n" + standard + "\n", "prompt, chosen, rejected"),
            ("one-row.jsonl", standard + "\n", "prompt, chosen, rejected"),
            ("implicit.jsonl", "\n" + implicit + "\n" + implicit, "chosen, rejected"),
            ("rows.json", "[" + implicit + ", " + implicit + "]", "chosen, rejected"),
        ] {
            let path = try write(Data(text.utf8), name)
            assertLoadError(path, mentioning: ["preference data", keys, "scripts/export-hf"])
        }
        // Other broken JSON keeps the parser's message.
        let other = try write(Data("{\"beta\": 1}\n{\"chosen\": 2}\n".utf8), "other.jsonl")
        do {
            _ = try InstanceLoader.load(path: other)
            XCTFail("loaded \(other)")
        } catch {
            XCTAssertFalse(error.description.contains("preference data"), error.description)
            XCTAssertNotNil(error.underlying as? JSONSyntaxError)
        }
    }

    func testLoadErrorKeepsTheParserError() throws {
        let path = try write(Data("{\"beta\": }".utf8), "syntax.json")
        do {
            _ = try InstanceLoader.load(path: path)
            XCTFail("loaded invalid JSON")
        } catch {
            let syntax = try XCTUnwrap(error.underlying as? JSONSyntaxError)
            XCTAssertEqual(syntax.column, 10)
        }
    }
}
