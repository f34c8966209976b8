import ArgumentParser
import LinearAlgebra

/// `--precision float64|float32` for the subcommands that train tiny language models.
extension Precision: ExpressibleByArgument {}
