import LinearAlgebra

/// The vector arithmetic of the built-in tasks' meaning models, drawing every random direction from one
/// seeded generator so that a task is reproducible bit for bit from its seed.
struct MeaningSpace {
    let dimension: Int
    var generator: SeededGenerator

    init(dimension: Int, seed: UInt64) {
        self.dimension = dimension
        generator = SeededGenerator(seed: seed)
    }

    /// A unit vector drawn uniformly from the sphere.
    mutating func unit() -> [Double] {
        GaussianSampling.unitVector(count: dimension, using: &generator)
    }

    /// v / |v|.
    func normalized(_ v: [Double]) -> [Double] {
        let length = BLAS.norm(v)
        return v.map { $0 / length }
    }

    /// sum_i w_i v_i.
    func combination(_ terms: [(Double, [Double])]) -> [Double] {
        var result = [Double](repeating: 0, count: dimension)
        for (weight, vector) in terms { BLAS.axpy(weight, vector, &result) }
        return result
    }

    /// cosine * direction + sqrt(1 - cosine^2) * (a fresh unit vector orthogonal to direction): a vector
    /// whose cosine with the unit vector `direction` is exactly `cosine`.
    mutating func aligned(cosine: Double, with direction: [Double]) -> [Double] {
        let fresh = unit()
        let orthogonal = normalized(combination([(1, fresh), (-BLAS.dot(fresh, direction), direction)]))
        return combination([(cosine, direction), ((1 - cosine * cosine).squareRoot(), orthogonal)])
    }
}
