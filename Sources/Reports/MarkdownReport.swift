import Foundation

/// A markdown report, built block by block and rendered to one deterministic string.
///
/// The report carries no timestamp, host name or path of its own: only what the caller puts in. The
/// convention (STYLE.md, habit 10) is that every report states its seed and the command that regenerates
/// it (`command(_:)`), so that a report can be compared with a golden file byte for byte.
///
/// Paragraph and list text is markdown source and is written as given; table cells are escaped by
/// `MarkdownTable`; code blocks pick a fence longer than any run of backticks inside them.
public struct MarkdownReport: Sendable, Equatable {
    /// One block of the report, in order.
    public enum Block: Sendable, Equatable {
        case heading(String, level: Int)
        case paragraph(String)
        case bulletList([String])
        case code(String, language: String)
        case table(MarkdownTable)
        case image(path: String, altText: String)
    }

    public let title: String
    public private(set) var blocks: [Block] = []

    public init(title: String) {
        self.title = title
    }

    /// A section heading below the title (level 2 ... 6).
    public mutating func heading(_ text: String, level: Int = 2) {
        precondition((2...6).contains(level), "heading level must be 2...6 (1 is the title), got \(level)")
        blocks.append(.heading(text, level: level))
    }

    public mutating func paragraph(_ text: String) {
        blocks.append(.paragraph(text))
    }

    public mutating func bulletList(_ items: [String]) {
        blocks.append(.bulletList(items))
    }

    /// A fenced code block.
    public mutating func codeBlock(_ code: String, language: String = "") {
        blocks.append(.code(code, language: language))
    }

    /// The shell command that regenerates this report, as a `sh` code block under a fixed sentence.
    public mutating func command(_ commandLine: String) {
        paragraph("Regenerate this report with:")
        codeBlock(commandLine, language: "sh")
    }

    public mutating func table(_ table: MarkdownTable) {
        blocks.append(.table(table))
    }

    /// An image link, typically to an SVG written beside the report (a relative path).
    public mutating func image(path: String, altText: String) {
        blocks.append(.image(path: path, altText: altText))
    }

    /// The report's markdown: the title, then each block separated by one blank line, ending with a newline.
    public func render() -> String {
        var parts = ["# \(title)"]
        for block in blocks { parts.append(Self.render(block)) }
        return parts.joined(separator: "\n\n") + "\n"
    }

    private static func render(_ block: Block) -> String {
        switch block {
        case .heading(let text, let level):
            return String(repeating: "#", count: level) + " " + text
        case .paragraph(let text):
            return text
        case .bulletList(let items):
            return items.map { "- " + $0.replacingNewlines(with: " ") }.joined(separator: "\n")
        case .code(let code, let language):
            let fence = String(repeating: "`", count: max(3, longestBacktickRun(in: code) + 1))
            let body = code.hasSuffix("\n") ? String(code.dropLast()) : code
            return fence + language + "\n" + body + "\n" + fence
        case .table(let table):
            return String(table.render().dropLast())
        case .image(let path, let altText):
            let alt = altText.replacingNewlines(with: " ")
                .replacingOccurrences(of: "[", with: "\\[").replacingOccurrences(of: "]", with: "\\]")
            // Angle brackets let a path hold spaces and parentheses.
            let target = path.contains(where: { " ()".contains($0) }) ? "<\(path)>" : path
            return "![\(alt)](\(target))"
        }
    }

    private static func longestBacktickRun(in text: String) -> Int {
        var longest = 0
        var current = 0
        for character in text {
            current = character == "`" ? current + 1 : 0
            longest = max(longest, current)
        }
        return longest
    }
}

extension String {
    fileprivate func replacingNewlines(with replacement: String) -> String {
        var result = ""
        for character in self {
            if character == "\n" || character == "\r" || character == "\r\n" {
                result += replacement
            } else {
                result.append(character)
            }
        }
        return result
    }
}
