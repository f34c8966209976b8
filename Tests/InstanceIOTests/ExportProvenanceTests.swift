import Foundation
import InstanceIO
import RewardDynamics
import XCTest

final class ExportProvenanceTests: XCTestCase {
    func testTheExportersPairsAreRead() throws {
        let text = """
            {"tool": "theorycheck-export", "model": {"name": "EleutherAI/pythia-160m", "width": 768},
             "pairs": {"train": [{"row": 1, "line": 2, "chosen": "train/1/chosen", "rejected": "train/1/rejected"}],
                       "para": [{"row": 4, "line": 9, "chosen": "para/4/chosen", "rejected": "para/4/rejected"},
                                {"row": 5, "line": null, "chosen": "para/5/chosen", "rejected": "para/5/rejected"}]}}
            """
        let provenance = try XCTUnwrap(ExportProvenance.parse(exportJSON: text))
        XCTAssertEqual(provenance.modelName, "EleutherAI/pythia-160m")
        XCTAssertEqual(provenance.source(set: "para", pair: PreferencePair(chosen: "para/4/chosen", rejected: "para/4/rejected")),
                       PairSource(row: 4, line: 9))
        XCTAssertEqual(provenance.source(set: "para", pair: PreferencePair(chosen: "para/5/chosen", rejected: "para/5/rejected")),
                       PairSource(row: 5, line: nil))
        XCTAssertNil(provenance.source(set: "train", pair: PreferencePair(chosen: "para/4/chosen", rejected: "para/4/rejected")))
        XCTAssertNil(ExportProvenance.parse(exportJSON: "{\"pairs\": 3}"))
        XCTAssertNil(ExportProvenance.parse(exportJSON: "not json"))
    }

    func testFilesWithoutProvenance() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("provenance-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let json = folder.appendingPathComponent("a.json")
        try Data("{\"beta\": 1}".utf8).write(to: json)
        XCTAssertNil(ExportProvenance.read(path: json.path))
        XCTAssertNil(ExportProvenance.read(path: folder.appendingPathComponent("missing").path))
        let plain = folder.appendingPathComponent("plain.safetensors")
        try SafetensorsFile(metadata: ["beta": "1"]).serialized().write(to: plain)
        XCTAssertNil(ExportProvenance.read(path: plain.path))
        let exported = folder.appendingPathComponent("exported.safetensors")
        try SafetensorsFile(metadata: ["export": "{\"pairs\": {\"t\": [{\"row\": 2, \"line\": 3, \"chosen\": \"a\", \"rejected\": \"b\"}]}}"])
            .serialized().write(to: exported)
        XCTAssertEqual(ExportProvenance.read(path: exported.path)?.source(set: "t", pair: PreferencePair(chosen: "a", rejected: "b")),
                       PairSource(row: 2, line: 3))
    }
}
