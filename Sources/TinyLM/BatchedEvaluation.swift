import Autodiff
import TheorycheckCore

extension TinyLM {
    /// `body(items, tape)` for consecutive chunks of `batchSize` items (the last one shorter), each on a
    /// fresh tape, with the chunks' results concatenated in order: the loop every evaluation without
    /// gradients runs.
    ///
    /// With `threads > 1` the chunks run side by side (`parallelMap`), each on a one-thread tape; a single
    /// chunk gets the threads inside its tape instead. Every chunk is computed as it would be alone, so
    /// the result is bit-identical for any thread count.
    func mapBatches<Item: Sendable, Value: Sendable>(
        _ items: [Item], batchSize: Int, _ body: @escaping @Sendable ([Item], Tape) throws -> [Value]
    ) throws -> [Value] {
        precondition(batchSize > 0, "batchSize must be positive")
        let starts = Array(stride(from: 0, to: items.count, by: batchSize))
        func chunk(_ index: Int) -> [Item] {
            Array(items[starts[index]..<min(starts[index] + batchSize, items.count)])
        }
        if threads == 1 || starts.count == 1 {
            return try starts.indices.flatMap { try body(chunk($0), makeTape()) }
        }
        let precision = configuration.precision
        let chunks = starts.indices.map(chunk)
        return try parallelMap(count: chunks.count, threads: threads) { index in
            try body(chunks[index], Tape(precision: precision, threads: 1))
        }.flatMap { $0 }
    }
}
