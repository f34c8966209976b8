/// A setting or input a run cannot accept, as one sentence that says what to change. The one
/// configuration error of every layer (models, tasks, experiments); the command line prints its
/// message and exits with code 1.
public struct ConfigurationError: Error, Equatable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
