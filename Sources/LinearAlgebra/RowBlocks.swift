import Dispatch

/// Runs independent per-row work of a matrix on every core, in fixed blocks of rows.
///
/// The blocks depend only on the shape, never on the number of threads, and each row is handled by one
/// call of `body`, so as long as `body(i)` touches only row i's output, the result is bit-identical to
/// the serial loop. Matrices under `serialElements` entries run serially (dispatch would cost more).
public enum RowBlocks {
    /// Below this many entries a loop is not worth dispatching.
    public static let serialElements = 1 << 16

    public static func forEachRow(rows: Int, columns: Int, _ body: (Int) -> Void) {
        if rows * columns < serialElements || rows < 2 {
            for i in 0..<rows { body(i) }
            return
        }
        // About 256 K entries (2 MB) per block: enough work to amortize a dispatch, and several blocks
        // per core so that a core slowed by another process does not hold up the rest.
        let blockRows = max(1, min(rows, (1 << 18) / max(columns, 1)))
        let blocks = (rows + blockRows - 1) / blockRows
        withoutActuallyEscaping(body) { body in
            let shared = RowBody(call: body)
            DispatchQueue.concurrentPerform(iterations: blocks) { block in
                let end = min(rows, (block + 1) * blockRows)
                for i in (block * blockRows)..<end { shared.call(i) }
            }
        }
    }

    /// The per-row work, handed to several threads at once. Safe because of the contract above: calls
    /// for different rows write disjoint memory (typically through an unsafe pointer the closure captured).
    private struct RowBody: @unchecked Sendable {
        let call: (Int) -> Void
    }
}
