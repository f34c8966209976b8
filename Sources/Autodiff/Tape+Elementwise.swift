import Foundation
import LinearAlgebra

// Elementwise kernels loop over raw buffers: no per-element closures in the hot path.

private func checkSameShape(_ name: String, _ a: Matrix, _ b: Matrix) {
    precondition(a.rows == b.rows && a.columns == b.columns,
                 "\(name): shapes \(a.rows) x \(a.columns) and \(b.rows) x \(b.columns) differ")
}

extension Tape {
    /// A + B (same shapes). Pullback: G to both.
    public func add(_ a: Variable, _ b: Variable) -> Variable {
        let left = value(a)
        let right = value(b)
        checkSameShape("add", left, right)
        var result = left  // m x n
        result.elements.withUnsafeMutableBufferPointer { out in
            right.elements.withUnsafeBufferPointer { r in
                for index in 0..<out.count { out[index] += r[index] }
            }
        }
        return record(result, inputs: [a, b]) { upstream, accumulator in
            accumulator.add(upstream, to: a)
            accumulator.add(upstream, to: b)
        }
    }

    /// A - B (same shapes). Pullback: G to A, -G to B.
    public func subtract(_ a: Variable, _ b: Variable) -> Variable {
        let left = value(a)
        let right = value(b)
        checkSameShape("subtract", left, right)
        var result = left  // m x n
        result.elements.withUnsafeMutableBufferPointer { out in
            right.elements.withUnsafeBufferPointer { r in
                for index in 0..<out.count { out[index] -= r[index] }
            }
        }
        return record(result, inputs: [a, b]) { upstream, accumulator in
            accumulator.add(upstream, to: a)
            if accumulator.wants(b) { accumulator.add(scaled(upstream, by: -1), to: b) }
        }
    }

    /// A * B elementwise (Hadamard). Pullback: G * B to A, G * A to B.
    public func multiply(_ a: Variable, _ b: Variable) -> Variable {
        let left = value(a)
        let right = value(b)
        checkSameShape("multiply", left, right)
        let result = hadamard(left, right)  // m x n
        return record(result, inputs: [a, b]) { upstream, accumulator in
            if accumulator.wants(a) { accumulator.add(hadamard(upstream, right), to: a) }
            if accumulator.wants(b) { accumulator.add(hadamard(upstream, left), to: b) }
        }
    }

    /// s A for a constant s. Pullback: s G.
    public func scale(_ a: Variable, by factor: Double) -> Variable {
        let result = scaled(value(a), by: factor)  // m x n
        return record(result, inputs: [a]) { upstream, accumulator in
            accumulator.add(scaled(upstream, by: factor), to: a)
        }
    }

    /// X + 1 b: the 1 x n row `bias` added to every row of the m x n X.
    /// Pullback: G to X, the column sums of G to b.
    public func addRowVector(_ x: Variable, _ bias: Variable) -> Variable {
        let input = value(x)
        let row = value(bias)
        precondition(row.rows == 1 && row.columns == input.columns,
                     "addRowVector: bias is \(row.rows) x \(row.columns), rows of X have \(input.columns) entries")
        let width = input.columns
        var result = input  // m x n
        result.elements.withUnsafeMutableBufferPointer { out in
            row.elements.withUnsafeBufferPointer { b in
                for i in 0..<input.rows {
                    let base = i * width
                    for j in 0..<width { out[base + j] += b[j] }
                }
            }
        }
        return record(result, inputs: [x, bias]) { upstream, accumulator in
            accumulator.add(upstream, to: x)
            if accumulator.wants(bias) { accumulator.add(columnSums(upstream), to: bias) }
        }
    }

    /// GELU, tanh form: gelu(x) = x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) (Hendrycks & Gimpel 2016).
    /// Smooth, so finite differences check it everywhere. Pullback: G * gelu'(x).
    public func gelu(_ x: Variable) -> Variable {
        let input = value(x)
        let c = (2 / Double.pi).squareRoot()
        let differentiable = needsGradient(x)
        var result = Matrix(rows: input.rows, columns: input.columns)  // m x n
        // gelu'(x), only when a gradient will flow back (m x n, else empty).
        var derivative = Matrix(rows: differentiable ? input.rows : 0, columns: input.columns)
        result.elements.withUnsafeMutableBufferPointer { out in
            derivative.elements.withUnsafeMutableBufferPointer { slope in
                input.elements.withUnsafeBufferPointer { inp in
                    for index in 0..<inp.count {
                        let v = inp[index]
                        // tanh(u) = 1 - 2 / (1 + e^{2u}): one exp instead of libm's slower tanh; exact
                        // limits +-1 when e^{2u} overflows to infinity or underflows to 0.
                        let t = 1 - 2 / (1 + exp(2 * c * (v + 0.044715 * v * v * v)))
                        out[index] = 0.5 * v * (1 + t)
                        if differentiable {
                            slope[index] = 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * c * (1 + 3 * 0.044715 * v * v)
                        }
                    }
                }
            }
        }
        return record(result, inputs: [x]) { upstream, accumulator in
            accumulator.add(hadamard(upstream, derivative), to: x)
        }
    }

    /// ln sigma(x) = -softplus(-x) elementwise, stable in both tails (the Bradley-Terry log-likelihood).
    /// Pullback: G * sigma(-x).
    public func logSigmoid(_ x: Variable) -> Variable {
        let input = value(x)
        var result = input  // m x n
        var derivative = input  // m x n, sigma(-x)
        result.elements.withUnsafeMutableBufferPointer { out in
            derivative.elements.withUnsafeMutableBufferPointer { slope in
                input.elements.withUnsafeBufferPointer { inp in
                    for index in 0..<inp.count {
                        out[index] = StableMath.logSigmoid(inp[index])
                        slope[index] = StableMath.sigmoid(-inp[index])
                    }
                }
            }
        }
        return record(result, inputs: [x]) { upstream, accumulator in
            accumulator.add(hadamard(upstream, derivative), to: x)
        }
    }

    /// softplus(x) = ln(1 + e^x) elementwise. Pullback: G * sigma(x).
    public func softplus(_ x: Variable) -> Variable {
        let input = value(x)
        var result = input  // m x n
        var derivative = input  // m x n, sigma(x)
        result.elements.withUnsafeMutableBufferPointer { out in
            derivative.elements.withUnsafeMutableBufferPointer { slope in
                input.elements.withUnsafeBufferPointer { inp in
                    for index in 0..<inp.count {
                        out[index] = StableMath.softplus(inp[index])
                        slope[index] = StableMath.sigmoid(inp[index])
                    }
                }
            }
        }
        return record(result, inputs: [x]) { upstream, accumulator in
            accumulator.add(hadamard(upstream, derivative), to: x)
        }
    }
}

/// A * B elementwise.
func hadamard(_ a: Matrix, _ b: Matrix) -> Matrix {
    var result = a
    result.elements.withUnsafeMutableBufferPointer { out in
        b.elements.withUnsafeBufferPointer { r in
            for index in 0..<out.count { out[index] *= r[index] }
        }
    }
    return result
}

/// The 1 x n row of column sums of an m x n matrix.
func columnSums(_ a: Matrix) -> Matrix {
    var result = Matrix(rows: 1, columns: a.columns)
    let width = a.columns
    result.elements.withUnsafeMutableBufferPointer { out in
        a.elements.withUnsafeBufferPointer { inp in
            for i in 0..<a.rows {
                let base = i * width
                for j in 0..<width { out[j] += inp[base + j] }
            }
        }
    }
    return result
}

/// s A.
func scaled(_ a: Matrix, by factor: Double) -> Matrix {
    var result = a
    result.elements.withUnsafeMutableBufferPointer { out in
        for index in 0..<out.count { out[index] *= factor }
    }
    return result
}
