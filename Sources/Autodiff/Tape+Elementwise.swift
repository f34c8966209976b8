import Foundation
import LinearAlgebra

// Elementwise kernels loop over raw buffers: no per-element closures in the hot path. The row-wise ones
// (bias, GELU) cut their rows into `RowChunks` and run the chunks on the tape's threads.

private func checkSameShape<S>(_ name: String, _ a: Tensor<S>, _ b: Tensor<S>) {
    precondition(a.rows == b.rows && a.columns == b.columns,
                 "\(name): shapes \(a.rows) x \(a.columns) and \(b.rows) x \(b.columns) differ")
}

extension Tape {
    /// A + B (same shapes). Pullback: G to both.
    public func add(_ a: Variable, _ b: Variable) -> Variable {
        dispatch({ $0.add(a, b) }, { $0.add(a, b) })
    }

    /// A - B (same shapes). Pullback: G to A, -G to B.
    public func subtract(_ a: Variable, _ b: Variable) -> Variable {
        dispatch({ $0.subtract(a, b) }, { $0.subtract(a, b) })
    }

    /// A * B elementwise (Hadamard). Pullback: G * B to A, G * A to B.
    public func multiply(_ a: Variable, _ b: Variable) -> Variable {
        dispatch({ $0.multiply(a, b) }, { $0.multiply(a, b) })
    }

    /// s A for a constant s (rounded to the tape's precision). Pullback: s G.
    public func scale(_ a: Variable, by factor: Double) -> Variable {
        dispatch({ $0.scale(a, by: factor) }, { $0.scale(a, by: Float(factor)) })
    }

    /// X + 1 b: the 1 x n row `bias` added to every row of the m x n X.
    /// Pullback: G to X, the column sums of G to b.
    public func addRowVector(_ x: Variable, _ bias: Variable) -> Variable {
        dispatch({ $0.addRowVector(x, bias) }, { $0.addRowVector(x, bias) })
    }

    /// GELU, tanh form: gelu(x) = x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) (Hendrycks & Gimpel 2016).
    /// Smooth, so finite differences check it everywhere. Pullback: G * gelu'(x).
    public func gelu(_ x: Variable) -> Variable {
        dispatch({ $0.gelu(x) }, { $0.gelu(x) })
    }

    /// ln sigma(x) = -softplus(-x) elementwise, stable in both tails (the Bradley-Terry log-likelihood).
    /// Pullback: G * sigma(-x).
    public func logSigmoid(_ x: Variable) -> Variable {
        dispatch({ $0.logSigmoid(x) }, { $0.logSigmoid(x) })
    }

    /// softplus(x) = ln(1 + e^x) elementwise. Pullback: G * sigma(x).
    public func softplus(_ x: Variable) -> Variable {
        dispatch({ $0.softplus(x) }, { $0.softplus(x) })
    }
}

extension TypedTape {
    func add(_ a: Variable, _ b: Variable) -> Variable {
        let left = value(a)
        let right = value(b)
        checkSameShape("add", left, right)
        let result = elementwise(left, right) { $0 + $1 }  // m x n
        return record(result, inputs: [a, b]) { upstream, accumulator in
            accumulator.add(upstream, to: a)
            accumulator.add(upstream, to: b)
        }
    }

    func subtract(_ a: Variable, _ b: Variable) -> Variable {
        let left = value(a)
        let right = value(b)
        checkSameShape("subtract", left, right)
        let result = elementwise(left, right) { $0 - $1 }  // m x n
        return record(result, inputs: [a, b]) { upstream, accumulator in
            accumulator.add(upstream, to: a)
            if accumulator.wants(b) { accumulator.add(scaled(upstream, by: -1), to: b) }
        }
    }

    func multiply(_ a: Variable, _ b: Variable) -> Variable {
        let left = value(a)
        let right = value(b)
        checkSameShape("multiply", left, right)
        let result = hadamard(left, right)  // m x n
        return record(result, inputs: [a, b]) { upstream, accumulator in
            if accumulator.wants(a) { accumulator.add(hadamard(upstream, right), to: a) }
            if accumulator.wants(b) { accumulator.add(hadamard(upstream, left), to: b) }
        }
    }

    func scale(_ a: Variable, by factor: Scalar) -> Variable {
        let result = scaled(value(a), by: factor)  // m x n
        return record(result, inputs: [a]) { upstream, accumulator in
            accumulator.add(scaled(upstream, by: factor), to: a)
        }
    }

    func addRowVector(_ x: Variable, _ bias: Variable) -> Variable {
        let input = value(x)
        let row = value(bias)
        precondition(row.rows == 1 && row.columns == input.columns,
                     "addRowVector: bias is \(row.rows) x \(row.columns), rows of X have \(input.columns) entries")
        var result = input  // m x n
        addBiasRow(row, to: &result)
        return record(result, inputs: [x, bias]) { upstream, accumulator in
            accumulator.add(upstream, to: x)
            if accumulator.wants(bias) { accumulator.add(columnSums(upstream), to: bias) }
        }
    }

    func gelu(_ x: Variable) -> Variable {
        let input = value(x)
        let c = (2 / Scalar.pi).squareRoot()
        let cubic: Scalar = 0.044715
        let differentiable = needsGradient(x)
        var result = Tensor<Scalar>.uninitialized(rows: input.rows, columns: input.columns)  // m x n
        // gelu'(x), only when a gradient will flow back (m x n, else empty).
        var derivative = Tensor<Scalar>.uninitialized(rows: differentiable ? input.rows : 0, columns: input.columns)
        let width = input.columns
        let chunks = RowChunks(rows: input.rows, columns: width)
        result.elements.withUnsafeMutableBufferPointer { out in
            derivative.elements.withUnsafeMutableBufferPointer { slope in
                input.elements.withUnsafeBufferPointer { inp in
                    let (out, slope, inp) = (out.baseAddress!, differentiable ? slope.baseAddress : nil, inp.baseAddress!)
                    ParallelChunks.run(chunks: chunks.chunks, threads: threads) { chunk in
                        let rows = chunks.rows(chunk)
                        let entries = (rows.lowerBound * width)..<(rows.upperBound * width)
                        // tanh(u) = 1 - 2 / (1 + e^{2u}): one exp instead of libm's slower tanh; exact
                        // limits +-1 when e^{2u} overflows to infinity or underflows to 0. Three passes
                        // (the exponents, their exponentials as one bulk call, the values), each a loop
                        // without calls, so that float32 vectorizes; each entry rounds as in one pass.
                        for index in entries {
                            let v = inp[index]
                            out[index] = 2 * c * (v + cubic * v * v * v)
                        }
                        Scalar.exponentiate(out + entries.lowerBound, count: entries.count)
                        if let slope {
                            for index in entries {
                                let v = inp[index]
                                let t = 1 - 2 / (1 + out[index])
                                out[index] = 0.5 * v * (1 + t)
                                slope[index] = 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * c * (1 + 3 * cubic * v * v)
                            }
                        } else {
                            for index in entries {
                                let v = inp[index]
                                let t = 1 - 2 / (1 + out[index])
                                out[index] = 0.5 * v * (1 + t)
                            }
                        }
                    }
                }
            }
        }
        return record(result, inputs: [x]) { upstream, accumulator in
            accumulator.add(hadamard(upstream, derivative), to: x)
        }
    }

    func logSigmoid(_ x: Variable) -> Variable {
        let input = value(x)
        var result = input  // m x n
        var derivative = input  // m x n, sigma(-x)
        result.elements.withUnsafeMutableBufferPointer { out in
            derivative.elements.withUnsafeMutableBufferPointer { slope in
                input.elements.withUnsafeBufferPointer { inp in
                    for index in 0..<inp.count {
                        out[index] = -softplusValue(-inp[index])
                        slope[index] = sigmoidValue(-inp[index])
                    }
                }
            }
        }
        return record(result, inputs: [x]) { upstream, accumulator in
            accumulator.add(hadamard(upstream, derivative), to: x)
        }
    }

    func softplus(_ x: Variable) -> Variable {
        let input = value(x)
        var result = input  // m x n
        var derivative = input  // m x n, sigma(x)
        result.elements.withUnsafeMutableBufferPointer { out in
            derivative.elements.withUnsafeMutableBufferPointer { slope in
                input.elements.withUnsafeBufferPointer { inp in
                    for index in 0..<inp.count {
                        out[index] = softplusValue(inp[index])
                        slope[index] = sigmoidValue(inp[index])
                    }
                }
            }
        }
        return record(result, inputs: [x]) { upstream, accumulator in
            accumulator.add(hadamard(upstream, derivative), to: x)
        }
    }
}

/// softplus(x) = ln(1 + e^x), without overflow for large x and without cancellation for x << 0
/// (`StableMath.softplus` in the tape's precision).
@inline(__always)
func softplusValue<S: BLASScalar>(_ x: S) -> S {
    if x > 0 { return x + S.log1p(S.exp(-x)) }
    return S.log1p(S.exp(x))
}

/// sigma(x) = 1 / (1 + e^-x), on the side where the exponential cannot overflow (`StableMath.sigmoid`).
@inline(__always)
func sigmoidValue<S: BLASScalar>(_ x: S) -> S {
    if x >= 0 { return 1 / (1 + S.exp(-x)) }
    let e = S.exp(x)
    return e / (1 + e)
}
