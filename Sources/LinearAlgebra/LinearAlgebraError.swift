/// A failure reported by LAPACK or found while preparing a LAPACK call.
///
/// LAPACK returns `info < 0` when argument `-info` is illegal and `info > 0` for a numerical failure
/// whose meaning depends on the routine (a zero pivot, a non-positive-definite minor, no convergence).
/// Every such failure becomes one of these errors; none is ever an `assert`.
public enum LinearAlgebraError: Error, Equatable, CustomStringConvertible {
    /// LAPACK routine `routine` returned `info != 0`.
    case lapack(routine: String, info: Int32, meaning: String)
    /// An input that the routine cannot accept (non-square, non-finite, empty).
    case invalidInput(String)

    public var description: String {
        switch self {
        case let .lapack(routine, info, meaning):
            return "LAPACK \(routine) failed with info = \(info): \(meaning)"
        case let .invalidInput(message):
            return message
        }
    }
}

/// Turns a LAPACK `info` into a thrown error.
@inline(__always)
func checkLAPACK(_ routine: String, _ info: Int32, positiveMeaning: (Int32) -> String) throws {
    if info < 0 {
        throw LinearAlgebraError.lapack(routine: routine, info: info, meaning: "argument \(-info) had an illegal value")
    }
    if info > 0 {
        throw LinearAlgebraError.lapack(routine: routine, info: info, meaning: positiveMeaning(info))
    }
}
