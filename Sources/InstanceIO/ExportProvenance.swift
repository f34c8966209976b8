import Foundation
import RewardDynamics

/// Where each pair of an exported instance came from: the source row (1-based ordinal in its file) and
/// line that `scripts/export-hf` records in the safetensors header's `__metadata__.export` (its `pairs`
/// object: set name -> [{"row", "line", "chosen", "rejected"}]), and the model it ran.
///
/// Only the header is read (8 bytes of length, then the header JSON), never the tensors. The metadata is
/// informational: an instance without it (a JSON instance, a file written by `theorycheck export`, or
/// another writer) simply has no provenance, and so does one whose `export` entry does not parse.
public struct ExportProvenance: Sendable, Equatable {
    public typealias Source = PairSource

    /// Set name -> pair -> source.
    public let sources: [String: [PreferencePair: Source]]
    /// `export.model.name`, when present.
    public let modelName: String?

    public init(sources: [String: [PreferencePair: Source]], modelName: String?) {
        self.sources = sources
        self.modelName = modelName
    }

    /// The source of `pair` in set `set`, if recorded.
    public func source(set: String, pair: PreferencePair) -> Source? {
        sources[set]?[pair]
    }

    /// The provenance in the file at `path`, or nil when the file is not safetensors or carries none.
    public static func read(path: String) -> ExportProvenance? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let prefix = try? handle.read(upToCount: 8), prefix.count == 8 else { return nil }
        var length: UInt64 = 0
        for byte in prefix.reversed() { length = length << 8 | UInt64(byte) }
        guard length >= 2, length <= UInt64(SafetensorsFile.maximumHeaderLength),
              let header = try? handle.read(upToCount: Int(length)), header.count == Int(length),
              header.first == UInt8(ascii: "{")
        else { return nil }
        guard case let .object(members)? = try? JSONParser.parse([UInt8](header)),
              let metadata = members.first(where: { $0.key == "__metadata__" })?.value,
              case let .object(entries) = metadata,
              case let .string(text)? = entries.first(where: { $0.key == "export" })?.value
        else { return nil }
        return parse(exportJSON: text)
    }

    /// The provenance in the text of an `export` metadata entry, or nil when it does not have the
    /// exporter's shape.
    public static func parse(exportJSON text: String) -> ExportProvenance? {
        guard case let .object(members)? = try? JSONParser.parse(text),
              case let .object(sets)? = members.first(where: { $0.key == "pairs" })?.value
        else { return nil }
        var sources: [String: [PreferencePair: Source]] = [:]
        for (name, value) in sets {
            guard case let .array(rows) = value else { return nil }
            var table: [PreferencePair: Source] = [:]
            for row in rows {
                guard case let .object(fields) = row,
                      case let .string(chosen)? = fields.first(where: { $0.key == "chosen" })?.value,
                      case let .string(rejected)? = fields.first(where: { $0.key == "rejected" })?.value,
                      case let .number(ordinal)? = fields.first(where: { $0.key == "row" })?.value
                else { return nil }
                var line: Int?
                if case let .number(value)? = fields.first(where: { $0.key == "line" })?.value { line = Int(value) }
                table[PreferencePair(chosen: chosen, rejected: rejected)] = Source(row: Int(ordinal), line: line)
            }
            sources[name] = table
        }
        var modelName: String?
        if case let .object(model)? = members.first(where: { $0.key == "model" })?.value,
           case let .string(name)? = model.first(where: { $0.key == "name" })?.value
        {
            modelName = name
        }
        return ExportProvenance(sources: sources, modelName: modelName)
    }
}
