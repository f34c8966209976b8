/// The matrix of inner products K = A B^T between the rows of A (m x d) and the rows of B (n x d), kept
/// whole when it is small and computed in blocks of rows when it is not, so that memory stays linear in
/// m and n.
///
/// The closed-form simulators multiply context-by-context kernels (every context against every training
/// context). At 20000 contexts such a kernel is 3.2 GB, and two reward models held two of them, so a
/// kernel larger than `maximumBytes` (default `defaultMaximumBytes`, 256 MiB) is never materialized:
/// every use goes through `forEachRowBlock`, which computes K[rows, :] = A[rows, :] B^T for one block
/// of rows at a time (each block at most `Budget.blockBytes`, default 32 MiB) and hands it to the caller.
///
/// Mathematical properties:
/// - a materialized kernel is exactly `BLAS.product(A, B, transposeB: true)`, the product the
///   simulators multiplied before, so small runs are unchanged bit for bit;
/// - a block is the same dgemm restricted to a block of rows of A: the same inner products. With
///   OpenBLAS here the blocks equal the whole product's rows bit for bit, but the products formed from
///   them (K x, K G) are not always bit-identical to the whole-matrix products, since the BLAS picks its
///   kernels by shape; blocked and whole results agree to 1e-12 relative (tested over 20 simulator steps).
public struct CrossGramMatrix: Sendable {
    /// Kernels at most this large (in bytes) are kept whole: 256 MiB, a few hundred MB as the memory
    /// budget of a run on a 24 GiB machine allows for the two kernels a `dynamics` run holds.
    public static let defaultMaximumBytes = 256 << 20
    /// The size of one block of rows when the kernel is not kept whole: 32 MiB, large enough that each
    /// block is a full-speed dgemm, small enough to be negligible beside the logits.
    public static let defaultBlockBytes = 32 << 20

    /// When a matrix is held whole and how large its blocks are otherwise; tests shrink it to run the
    /// blocked path on small sizes.
    public struct Budget: Sendable, Equatable {
        /// Held whole up to this many bytes.
        public var maximumBytes: Int
        /// Otherwise in blocks of rows of at most this many bytes (at least one row).
        public var blockBytes: Int

        public init(maximumBytes: Int = CrossGramMatrix.defaultMaximumBytes, blockBytes: Int = CrossGramMatrix.defaultBlockBytes) {
            self.maximumBytes = maximumBytes
            self.blockBytes = blockBytes
        }

        /// 256 MiB whole, 32 MiB blocks.
        public static let standard = Budget()

        /// Rows per block for rows x columns doubles: all of them when the whole fits `maximumBytes`.
        public func blockRows(rows: Int, columns: Int) -> Int {
            if CrossGramMatrix.bytes(rows: rows, columns: columns) <= maximumBytes { return max(1, rows) }
            return max(1, blockBytes / max(1, 8 * columns))
        }
    }

    /// A, m x d.
    public let left: Matrix
    /// B, n x d.
    public let right: Matrix
    /// Rows per block of `forEachRowBlock` (all m when materialized).
    public let blockRows: Int
    /// K whole, or nil when it is computed in blocks.
    public let whole: Matrix?

    public var rows: Int { left.rows }
    public var columns: Int { right.rows }
    /// Whether K is held whole.
    public var isMaterialized: Bool { whole != nil }

    /// K = left right^T, whole when rows x columns x 8 bytes is at most `budget.maximumBytes`.
    public init(left: Matrix, right: Matrix, budget: Budget = .standard) {
        precondition(left.columns == right.columns,
                     "cross Gram: rows of \(left.rows) x \(left.columns) against rows of \(right.rows) x \(right.columns)")
        self.left = left
        self.right = right
        if Self.bytes(rows: left.rows, columns: right.rows) <= budget.maximumBytes {
            whole = BLAS.product(left, right, transposeB: true)
        } else {
            whole = nil
        }
        blockRows = budget.blockRows(rows: left.rows, columns: right.rows)
    }

    /// Bytes of an m x n matrix of doubles (saturating, so an estimate never traps).
    public static func bytes(rows: Int, columns: Int) -> Int {
        let (product, overflow) = rows.multipliedReportingOverflow(by: columns)
        if overflow || product > Int.max / 8 { return Int.max }
        return product * 8
    }

    /// Bytes this kernel holds at any time: the whole matrix, or one block of rows.
    public var residentBytes: Int {
        Self.bytes(rows: whole == nil ? min(blockRows, rows) : rows, columns: columns)
    }

    /// Calls `body(rows, K[rows, :])` for consecutive blocks of rows covering 0 ..< m, in order. With a
    /// materialized kernel that is one call with all rows and the whole matrix (no copy).
    public func forEachRowBlock(_ body: (Range<Int>, Matrix) throws -> Void) rethrows {
        if let whole {
            try body(0..<rows, whole)
            return
        }
        var start = 0
        while start < rows {
            let range = start..<min(rows, start + blockRows)
            try body(range, BLAS.product(left.rows(range), right, transposeB: true))
            start = range.upperBound
        }
    }

    /// K x, block by block (each row's dgemv is the row's own dot product with x).
    public func product(_ x: [Double]) -> [Double] {
        precondition(x.count == columns, "cross Gram: \(rows) x \(columns) times a vector of \(x.count)")
        if let whole { return BLAS.product(whole, x) }
        var result: [Double] = []
        result.reserveCapacity(rows)
        forEachRowBlock { _, block in result += BLAS.product(block, x) }
        return result
    }

    /// C <- alpha K G + beta C for G (columns x p) and C (rows x p), block by block of C's rows.
    public func multiply(_ g: Matrix, alpha: Double, beta: Double, into c: inout Matrix) {
        precondition(g.rows == columns && c.rows == rows && c.columns == g.columns,
                     "cross Gram: \(rows) x \(columns) times \(g.rows) x \(g.columns) into \(c.rows) x \(c.columns)")
        if let whole {
            BLAS.gemm(whole, g, alpha: alpha, beta: beta, into: &c)
            return
        }
        forEachRowBlock { range, block in
            BLAS.gemm(block, g, alpha: alpha, beta: beta, into: &c, startingAtRow: range.lowerBound)
        }
    }

    /// K as one matrix, for tests and small callers (computes it when it is not held).
    public func materialized() -> Matrix {
        whole ?? BLAS.product(left, right, transposeB: true)
    }
}
