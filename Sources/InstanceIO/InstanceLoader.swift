import Foundation
import Reports
import RewardDynamics

/// A file that could not be loaded as an instance: one line naming the file and the reason.
public struct InstanceLoadError: Error, CustomStringConvertible {
    public let path: String
    /// The reason, without the path; never contains a newline.
    public let reason: String
    /// The parser's error (`JSONSyntaxError`, `InstanceValidationError`, `SafetensorsError`), if any.
    public let underlying: (any Error)?

    /// `reason` is joined into one line and, like `path`, shortened by `InstanceValidationError.abbreviated`
    /// when it is very long.
    public init(path: String, reason: String, underlying: (any Error)? = nil) {
        self.path = path
        self.reason = InstanceValidationError.abbreviated(
            reason.split(whereSeparator: \.isNewline).joined(separator: " "), limit: 600)
        self.underlying = underlying
    }

    public var description: String { "cannot load instance \(InstanceValidationError.abbreviated(path, limit: 300)): \(reason)" }
}

/// Loads an `Instance` from a file, choosing the format by the file's content, not its name.
///
/// Detection, in this order:
/// 1. safetensors if the file is at least 9 bytes, its first 8 bytes read as a little-endian length N
///    with 2 <= N <= size - 8, and byte 8 is `{` (the header's opening brace);
/// 2. JSON if the first byte after optional whitespace (and a UTF-8 byte-order mark) is `{`;
/// 3. otherwise the file is parsed as safetensors, whose error then says what is wrong (e.g. a
///    truncated file whose header length runs past its end).
/// Rule 1 goes first because a safetensors length whose low byte is 0x7B would also start with `{`; a
/// JSON text never passes rule 1, since its first 8 bytes are printable ASCII and read as a length
/// above 2^56.
///
/// Every failure is an `InstanceLoadError` whose description is one line naming the path. Only regular
/// files are read: a directory, device (`/dev/null`, `/dev/zero`), FIFO or piped standard input
/// (`/dev/stdin`, `-`) is refused by what it is before anything is read, so an unbounded device is never
/// read. A file that fails to load and looks like TRL preference data (JSONL or a JSON array whose first
/// row has `chosen` and `rejected`) gets a reason saying so and pointing to `scripts/export-hf`.
public enum InstanceLoader {
    /// The two instance file formats.
    public enum Format: String, Sendable {
        case json
        case safetensors
    }

    /// Loads and validates the instance in the file at `path`.
    public static func load(path: String) throws(InstanceLoadError) -> Instance {
        if path == "-" {
            throw InstanceLoadError(
                path: path, reason: "reading an instance from standard input is not supported; save it to a file and pass its path")
        }
        let shown = InstanceValidationError.abbreviated(path, limit: 300)
        switch FileSystemPath.kind(of: path) {
        case .regularFile:
            break
        case .missing:
            throw InstanceLoadError(path: path, reason: "no such file")
        case .fifo:
            throw InstanceLoadError(
                path: path, reason: "\(shown) is a named pipe (FIFO, e.g. piped standard input), not an instance file; save it to a file first")
        case .unreadable(let reason):
            throw InstanceLoadError(path: path, reason: "the file could not be read (\(reason))")
        case let kind:
            throw InstanceLoadError(path: path, reason: "\(shown) is \(kind), not an instance file")
        }
        let data: Data
        do {
            data = try FileSystemPath.readRegularFile(path)
        } catch {
            throw InstanceLoadError(path: path, reason: "the file could not be read (\(error.reason))", underlying: error)
        }
        return try load(data: data, path: path)
    }

    /// Loads and validates an instance from a file's bytes; `path` only labels errors.
    public static func load(data: Data, path: String = "<data>") throws(InstanceLoadError) -> Instance {
        let bytes = [UInt8](data)
        guard !bytes.isEmpty else {
            throw InstanceLoadError(path: path, reason: "the file is empty")
        }
        let format = detectFormat(bytes)
        do {
            switch format {
            case .json: return try InstanceJSON.decode(bytes: bytes)
            case .safetensors, nil: return try InstanceSafetensors.decode(SafetensorsFile(bytes: bytes))
            }
        } catch {
            if let keys = preferenceDataKeys(bytes) {
                throw InstanceLoadError(
                    path: path,
                    reason: "this is preference data (a first row with keys \(keys)), not an instance;"
                        + " export it with a model first: scripts/export-hf --model MODEL --train FILE --output OUT.safetensors",
                    underlying: error)
            }
            let prefix = format == nil ? "not JSON (no '{' at the start) and " : ""
            throw InstanceLoadError(path: path, reason: prefix + "\(error)", underlying: error)
        }
    }

    /// When `bytes` look like TRL preference data rather than an instance, the keys its first row has
    /// ("prompt, chosen, rejected" or "chosen, rejected"); nil otherwise. The first row is the first
    /// non-blank line (JSONL) or, for a file starting with `[`, the array's first element.
    static func preferenceDataKeys(_ bytes: [UInt8]) -> String? {
        var start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        while start < bytes.count && [0x20, 0x09, 0x0A, 0x0D].contains(bytes[start]) { start += 1 }
        guard start < bytes.count else { return nil }
        let row: JSONValue?
        if bytes[start] == UInt8(ascii: "[") {
            guard case let .array(elements)? = try? JSONParser.parse(Array(bytes[start...])) else { return nil }
            row = elements.first
        } else {
            let end = bytes[start...].firstIndex(of: 0x0A) ?? bytes.count
            row = try? JSONParser.parse(Array(bytes[start..<end]))
        }
        guard case let .object(members)? = row else { return nil }
        let keys = Set(members.map(\.key))
        guard keys.contains("chosen") && keys.contains("rejected") else { return nil }
        return keys.contains("prompt") ? "prompt, chosen, rejected" : "chosen, rejected"
    }

    /// The format `bytes` look like (rules 1 and 2 above), or nil if neither.
    public static func detectFormat(_ bytes: [UInt8]) -> Format? {
        if bytes.count >= 9 && bytes[8] == UInt8(ascii: "{") {
            var length: UInt64 = 0
            for position in (0..<8).reversed() {
                length = length << 8 | UInt64(bytes[position])
            }
            if length >= 2 && length <= UInt64(bytes.count - 8) { return .safetensors }
        }
        var start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        let whitespace: Set<UInt8> = [0x20, 0x09, 0x0A, 0x0D]
        while start < bytes.count && whitespace.contains(bytes[start]) { start += 1 }
        if start < bytes.count && bytes[start] == UInt8(ascii: "{") { return .json }
        return nil
    }
}
