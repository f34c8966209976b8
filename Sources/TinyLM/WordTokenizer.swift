import TheorycheckCore
/// A word-level tokenizer with a closed vocabulary.
///
/// Text is lowercased and split at whitespace, and each of `. , : ; ! ?` is a token of its own, so
/// "Statement: I enjoy it." is `statement : i enjoy it .`. Ids 0 and 1 are `<bos>` and `<eos>`; the words
/// follow in sorted order, so the same word list always gives the same ids.
public struct WordTokenizer: Codable, Equatable, Sendable {
    public static let beginOfSequence = "<bos>"
    public static let endOfSequence = "<eos>"
    private static let punctuation: Set<Character> = [".", ",", ":", ";", "!", "?"]

    /// Token id -> word.
    public let vocabulary: [String]
    private let idByWord: [String: Int]

    /// A vocabulary of the two markers and every word of `texts`.
    public init(texts: some Sequence<String>) {
        var words = Set<String>()
        for text in texts { words.formUnion(Self.words(in: text)) }
        words.remove(Self.beginOfSequence)
        words.remove(Self.endOfSequence)
        vocabulary = [Self.beginOfSequence, Self.endOfSequence] + words.sorted()
        idByWord = Dictionary(uniqueKeysWithValues: vocabulary.enumerated().map { ($1, $0) })
    }

    enum CodingKeys: String, CodingKey { case vocabulary }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let vocabulary = try container.decode([String].self, forKey: .vocabulary)
        guard vocabulary.count >= 2, vocabulary[0] == Self.beginOfSequence, vocabulary[1] == Self.endOfSequence,
              Set(vocabulary).count == vocabulary.count
        else {
            throw DecodingError.dataCorruptedError(
                forKey: .vocabulary, in: container,
                debugDescription: "a vocabulary starts with <bos>, <eos> and lists each word once")
        }
        self.vocabulary = vocabulary
        idByWord = Dictionary(uniqueKeysWithValues: vocabulary.enumerated().map { ($1, $0) })
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(vocabulary, forKey: .vocabulary)
    }

    /// V, the vocabulary size.
    public var count: Int { vocabulary.count }

    public var beginOfSequenceID: Int { 0 }
    public var endOfSequenceID: Int { 1 }

    /// The id of `word`, or nil.
    public func id(of word: String) -> Int? { idByWord[word] }

    /// The words of `text`: lowercased, split at whitespace, punctuation split off.
    public static func words(in text: String) -> [String] {
        var result: [String] = []
        var current = ""
        for character in text.lowercased() {
            if character.isWhitespace {
                if !current.isEmpty { result.append(current) }
                current = ""
            } else if punctuation.contains(character) {
                if !current.isEmpty { result.append(current) }
                current = ""
                result.append(String(character))
            } else {
                current.append(character)
            }
        }
        if !current.isEmpty { result.append(current) }
        return result
    }

    /// The ids of the words of `text` (no markers added). Throws for a word outside the vocabulary.
    public func encode(_ text: String) throws -> [Int] {
        try Self.words(in: text).map { word in
            guard let id = idByWord[word] else {
                throw ConfigurationError("the word \"\(word)\" in \"\(text)\" is not in the vocabulary of \(count) words")
            }
            return id
        }
    }

    /// <bos> + encode(text) + (<eos> if `appendingEnd`).
    public func encodeDocument(_ text: String, appendingEnd: Bool = true) throws -> [Int] {
        [beginOfSequenceID] + (try encode(text)) + (appendingEnd ? [endOfSequenceID] : [])
    }

    /// The words of `ids`, joined by spaces.
    public func decode(_ ids: [Int]) -> String {
        ids.map { $0 >= 0 && $0 < vocabulary.count ? vocabulary[$0] : "<\($0)?>" }.joined(separator: " ")
    }
}
