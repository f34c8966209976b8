import LinearAlgebra

/// Rows that are separable by construction, with the direction that separates them.
struct SeparableData {
    /// Z, n x d.
    let rows: Matrix
    /// A unit vector v with <v, z_i> >= gap for every row.
    let direction: [Double]

    /// n Gaussian rows in R^d (d >= 1) whose component along a random unit v is replaced by its absolute
    /// value plus `gap`, i.e. reflected to the positive side and pushed out: <v, z_i> >= gap > 0.
    static func draw(rows n: Int, columns d: Int, gap: Double = 0.1,
                     using generator: inout some RandomNumberGenerator) -> SeparableData
    {
        let v = GaussianSampling.unitVector(count: d, using: &generator)
        var z = GaussianSampling.matrix(rows: n, columns: d, using: &generator)
        for i in 0..<n {
            var row = z.row(i)
            let along = BLAS.dot(row, v)
            BLAS.axpy(abs(along) + gap - along, v, &row)
            z.setRow(i, to: row)
        }
        return SeparableData(rows: z, direction: v)
    }
}

/// The minimum over rows of <v, z_i> / |v|: the geometric margin of the separator v.
func geometricMargin(of v: [Double], rows z: Matrix) -> Double {
    (BLAS.product(z, v).min() ?? .infinity) / BLAS.norm(v)
}
