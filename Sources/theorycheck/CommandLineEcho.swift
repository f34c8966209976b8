import Foundation

/// The command line that produced this run, shell-quoted, with the program called `theorycheck`:
/// reports carry it so that they can be regenerated exactly.
func regeneratingCommand() -> String {
    let arguments = CommandLine.arguments.dropFirst().map { argument -> String in
        let safe = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_./=,:+"))
        if !argument.isEmpty && argument.unicodeScalars.allSatisfy({ safe.contains($0) }) { return argument }
        return "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
    return (["theorycheck"] + arguments).joined(separator: " ")
}
