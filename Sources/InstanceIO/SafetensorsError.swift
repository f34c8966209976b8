/// A safetensors file that cannot be read, or a tensor that cannot be written in the dtype asked for,
/// with a sentence saying which tensor or header field and what is wrong.
public struct SafetensorsError: Error, Equatable, CustomStringConvertible {
    public let problem: String

    public init(_ problem: String) {
        self.problem = problem
    }

    public var description: String { "safetensors: \(problem)" }
}
