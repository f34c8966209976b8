import Foundation
import TheorycheckCore

/// A finite, non-recursive context-free grammar read from JSON, the source of the synthetic pretraining
/// corpus (data/agreeableness-grammar.json).
///
/// Each rule has alternatives; an alternative is a list of symbols; a symbol "@name" expands rule
/// `name`, any other string is literal text. Sampling picks alternatives uniformly, so synonyms listed
/// as alternatives of one rule appear equally often and in identical contexts.
///
/// Validation (throws `ConfigurationError`): the start rule exists, names are unique, every rule
/// has alternatives, every reference is defined, and no rule reaches itself (so every expansion ends).
public struct Grammar: Codable, Equatable, Sendable {
    public struct Rule: Codable, Equatable, Sendable {
        public let name: String
        public let alternatives: [[String]]

        public init(name: String, alternatives: [[String]]) {
            self.name = name
            self.alternatives = alternatives
        }
    }

    public let description: String?
    public let start: String
    public let rules: [Rule]

    public init(description: String? = nil, start: String, rules: [Rule]) throws {
        self.description = description
        self.start = start
        self.rules = rules
        try validate()
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        description = try container.decodeIfPresent(String.self, forKey: .description)
        start = try container.decode(String.self, forKey: .start)
        rules = try container.decode([Rule].self, forKey: .rules)
        try validate()
    }

    /// Reads and validates a grammar file.
    public init(contentsOf url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ConfigurationError("cannot read the grammar file \(url.path): \(error.localizedDescription)")
        }
        do {
            self = try JSONDecoder().decode(Grammar.self, from: data)
        } catch let error as ConfigurationError {
            throw ConfigurationError("\(url.path): \(error.message)")
        } catch {
            throw ConfigurationError("\(url.path) is not a grammar file: \(error)")
        }
    }

    /// The shipped agreeableness grammar file, a resource of this module (`Resources/`, linked from
    /// `data/` in the source tree), so a built binary finds it from any working directory.
    public static var agreeablenessFileURL: URL? {
        Bundle.module.url(forResource: "agreeableness-grammar", withExtension: "json")
    }

    /// The shipped agreeableness grammar.
    public static func agreeableness() throws -> Grammar {
        guard let url = agreeablenessFileURL else {
            throw ConfigurationError("the agreeableness grammar is missing from this build's resources; rebuild theorycheck")
        }
        return try Grammar(contentsOf: url)
    }

    private static func reference(_ symbol: String) -> String? {
        symbol.hasPrefix("@") ? String(symbol.dropFirst()) : nil
    }

    private var ruleByName: [String: Rule] {
        Dictionary(rules.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    private func validate() throws {
        var seen = Set<String>()
        for rule in rules {
            if !seen.insert(rule.name).inserted { throw ConfigurationError("grammar rule \(rule.name) is defined twice") }
            if rule.alternatives.isEmpty || rule.alternatives.contains(where: \.isEmpty) {
                throw ConfigurationError("grammar rule \(rule.name) has an empty alternative list or an empty alternative")
            }
        }
        if !seen.contains(start) { throw ConfigurationError("the grammar's start rule \(start) is not defined") }
        for rule in rules {
            for symbol in rule.alternatives.joined() {
                if let name = Self.reference(symbol), !seen.contains(name) {
                    throw ConfigurationError("grammar rule \(rule.name) refers to @\(name), which is not defined")
                }
            }
        }
        // Depth-first search for a cycle; 1 = on the current path, 2 = finished.
        let table = ruleByName
        var state: [String: Int] = [:]
        func visit(_ name: String) throws {
            if state[name] == 2 { return }
            if state[name] == 1 { throw ConfigurationError("grammar rule \(name) reaches itself; the grammar must not be recursive") }
            state[name] = 1
            for symbol in table[name]!.alternatives.joined() {
                if let child = Self.reference(symbol) { try visit(child) }
            }
            state[name] = 2
        }
        for rule in rules { try visit(rule.name) }
    }

    /// Every literal text in the grammar (for building a vocabulary).
    public var literals: [String] {
        rules.flatMap { $0.alternatives.joined().filter { Self.reference($0) == nil } }
    }

    /// A tokenizer whose vocabulary is exactly the grammar's words plus the markers.
    public func tokenizer() -> WordTokenizer {
        WordTokenizer(texts: literals)
    }

    /// One expansion of rule `name` (default: the start rule) as text, alternatives drawn uniformly.
    public func sample(_ name: String? = nil, using generator: inout some RandomNumberGenerator) -> String {
        var pieces: [String] = []
        expand(name ?? start, into: &pieces, using: &generator)
        return pieces.joined(separator: " ")
    }

    private func expand(_ name: String, into pieces: inout [String], using generator: inout some RandomNumberGenerator) {
        guard let rule = ruleByName[name] else { preconditionFailure("no grammar rule \(name)") }
        let alternative = rule.alternatives[Int.random(in: 0..<rule.alternatives.count, using: &generator)]
        for symbol in alternative {
            if let child = Self.reference(symbol) {
                expand(child, into: &pieces, using: &generator)
            } else {
                pieces.append(symbol)
            }
        }
    }

    /// Every text rule `name` can produce, in rule order (use on small rules: the count multiplies).
    public func expansions(of name: String) -> [String] {
        guard let rule = ruleByName[name] else { preconditionFailure("no grammar rule \(name)") }
        var results: [String] = []
        for alternative in rule.alternatives {
            var partial = [""]
            for symbol in alternative {
                let options = Self.reference(symbol).map { expansions(of: $0) } ?? [symbol]
                partial = partial.flatMap { prefix in options.map { prefix.isEmpty ? $0 : prefix + " " + $0 } }
            }
            results.append(contentsOf: partial)
        }
        return results
    }

    /// `count` documents from the start rule, each encoded as <bos> words <eos>.
    public func sampleDocuments(count: Int, tokenizer: WordTokenizer,
                                using generator: inout some RandomNumberGenerator) throws -> [[Int]]
    {
        try (0..<count).map { _ in try tokenizer.encodeDocument(sample(using: &generator)) }
    }
}
