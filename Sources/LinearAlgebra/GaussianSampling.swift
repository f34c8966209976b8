import Foundation

/// Standard normal draws by the Box-Muller transform, from any generator.
public enum GaussianSampling {
    /// One N(0, 1) draw.
    public static func standardNormal(using generator: inout some RandomNumberGenerator) -> Double {
        // u1 in (0, 1] so that the logarithm is finite.
        let u1 = 1 - Double.random(in: 0..<1, using: &generator)
        let u2 = Double.random(in: 0..<1, using: &generator)
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    /// A vector of `count` independent N(0, scale^2) draws.
    public static func vector(count: Int, scale: Double = 1, using generator: inout some RandomNumberGenerator)
        -> [Double]
    {
        (0..<count).map { _ in scale * standardNormal(using: &generator) }
    }

    /// A `rows x columns` matrix of independent N(0, scale^2) draws.
    public static func matrix(rows: Int, columns: Int, scale: Double = 1,
                              using generator: inout some RandomNumberGenerator) -> Matrix
    {
        Matrix(rows: rows, columns: columns, elements: vector(count: rows * columns, scale: scale, using: &generator))
    }

    /// A unit vector drawn uniformly from the sphere in R^count.
    public static func unitVector(count: Int, using generator: inout some RandomNumberGenerator) -> [Double] {
        let draw = vector(count: count, using: &generator)
        let length = draw.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return draw.map { $0 / length }
    }
}
