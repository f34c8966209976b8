import Foundation
import LinearAlgebra

extension Tape {
    /// Row-wise layer normalization (Ba, Kiros & Hinton 2016) with a learned gain and bias:
    /// y_i = gain * (x_i - mu_i) / sqrt(var_i + epsilon) + bias, mu_i and var_i the mean and the biased
    /// variance of row i.
    ///
    /// Pullback, with xhat the normalized row, s = 1 / sqrt(var + epsilon) and g = G * gain:
    /// dx = s (g - mean(g) - xhat mean(g * xhat)); dgain = column sums of G * xhat; dbias = column sums of G.
    ///
    /// Mathematical properties: before the affine map every row has mean 0 and variance var/(var + eps);
    /// the output is invariant to adding a constant to a row.
    public func layerNorm(_ x: Variable, gain: Variable, bias: Variable, epsilon: Double = 1e-5) -> Variable {
        dispatch({ $0.layerNorm(x, gain: gain, bias: bias, epsilon: epsilon) },
                 { $0.layerNorm(x, gain: gain, bias: bias, epsilon: Float(epsilon)) })
    }
}

extension TypedTape {
    func layerNorm(_ x: Variable, gain: Variable, bias: Variable, epsilon: Scalar) -> Variable {
        let input = value(x)
        let gainRow = value(gain)
        let biasRow = value(bias)
        let width = input.columns
        precondition(gainRow.rows == 1 && gainRow.columns == width && biasRow.rows == 1 && biasRow.columns == width,
                     "layerNorm: X is \(input.rows) x \(width), gain \(gainRow.rows) x \(gainRow.columns), bias \(biasRow.rows) x \(biasRow.columns)")
        precondition(width > 0 && epsilon > 0, "layerNorm needs a positive width and epsilon")
        var normalized = Tensor<Scalar>.uninitialized(rows: input.rows, columns: width)  // m x n, xhat
        var inverseDeviations = [Scalar](repeating: 0, count: input.rows)  // m, s_i
        var result = Tensor<Scalar>.uninitialized(rows: input.rows, columns: width)  // m x n
        let chunks = RowChunks(rows: input.rows, columns: width)
        let threads = self.threads
        let count = Scalar(width)
        input.elements.withUnsafeBufferPointer { inp in
            normalized.elements.withUnsafeMutableBufferPointer { xhat in
                result.elements.withUnsafeMutableBufferPointer { out in
                    inverseDeviations.withUnsafeMutableBufferPointer { deviations in
                        gainRow.elements.withUnsafeBufferPointer { g in
                            biasRow.elements.withUnsafeBufferPointer { b in
                                let (inp, xhat, out) = (inp.baseAddress!, xhat.baseAddress!, out.baseAddress!)
                                let (deviations, g, b) = (deviations.baseAddress!, g.baseAddress!, b.baseAddress!)
                                ParallelChunks.run(chunks: chunks.chunks, threads: threads) { chunk in
                                    // Row pointers, not base + j: Swift checks integer overflow, and a checked
                                    // index in the inner loop keeps it from vectorizing.
                                    for i in chunks.rows(chunk) {
                                        let (x, xhat, out) = (inp + i * width, xhat + i * width, out + i * width)
                                        var mean: Scalar = 0
                                        for j in 0..<width { mean += x[j] }
                                        mean /= count
                                        var variance: Scalar = 0
                                        for j in 0..<width {
                                            let centered = x[j] - mean
                                            variance += centered * centered
                                        }
                                        variance /= count
                                        let inverse = 1 / (variance + epsilon).squareRoot()
                                        deviations[i] = inverse
                                        for j in 0..<width {
                                            let value = (x[j] - mean) * inverse
                                            xhat[j] = value
                                            out[j] = g[j] * value + b[j]
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return record(result, inputs: [x, gain, bias]) { upstream, accumulator in
            if accumulator.wants(x) {
                var inputGradient = upstream  // m x n
                inputGradient.elements.withUnsafeMutableBufferPointer { dx in
                    normalized.elements.withUnsafeBufferPointer { xhat in
                        gainRow.elements.withUnsafeBufferPointer { g in
                            inverseDeviations.withUnsafeBufferPointer { deviations in
                                let (dx, xhat, g, deviations) = (dx.baseAddress!, xhat.baseAddress!, g.baseAddress!,
                                                                 deviations.baseAddress!)
                                ParallelChunks.run(chunks: chunks.chunks, threads: threads) { chunk in
                                    for i in chunks.rows(chunk) {
                                        let (dx, xhat) = (dx + i * width, xhat + i * width)
                                        var meanScaled: Scalar = 0
                                        var meanProjected: Scalar = 0
                                        for j in 0..<width {
                                            let scaledUpstream = dx[j] * g[j]
                                            meanScaled += scaledUpstream
                                            meanProjected += scaledUpstream * xhat[j]
                                        }
                                        meanScaled /= count
                                        meanProjected /= count
                                        let inverse = deviations[i]
                                        for j in 0..<width {
                                            let scaledUpstream = dx[j] * g[j]
                                            dx[j] = inverse * (scaledUpstream - meanScaled - xhat[j] * meanProjected)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                accumulator.add(inputGradient, to: x)
            }
            if accumulator.wants(gain) { accumulator.add(columnSums(hadamard(upstream, normalized)), to: gain) }
            if accumulator.wants(bias) { accumulator.add(columnSums(upstream), to: bias) }
        }
    }
}
