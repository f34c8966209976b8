/// Where a preference pair came from in the user's data: its 1-based row (ordinal in its file) and
/// 1-based line, as `scripts/export-hf` records them (`InstanceIO.ExportProvenance` reads them back).
public struct PairSource: Sendable, Equatable, Codable, Hashable {
    public let row: Int
    /// nil when the writer recorded no line.
    public let line: Int?

    public init(row: Int, line: Int?) {
        self.row = row
        self.line = line
    }
}
