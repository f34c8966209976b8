import Foundation

/// `body(0), ..., body(count - 1)` on up to `threads` threads at once, in index order in the result.
///
/// Every index runs even when another throws; the first error in index order is rethrown, so the
/// outcome does not depend on scheduling. With `threads == 1` (or one item) everything runs on the
/// calling thread, in order. Callers keep each body independent of the others (its own model, its own
/// seeded generator), which makes results independent of the thread count.
public func parallelMap<Value>(count: Int, threads: Int, _ body: @escaping @Sendable (Int) throws -> Value) throws
    -> [Value]
{
    precondition(count >= 0, "count must be non-negative, got \(count)")
    precondition(threads >= 1, "threads must be at least 1, got \(threads)")
    let slots = ResultSlots<Value>(count: count)
    if threads > 1 && count > 1 {
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = threads
        for index in 0..<count { queue.addOperation { slots.store(index, Result { try body(index) }) } }
        queue.waitUntilAllOperationsAreFinished()
    } else {
        for index in 0..<count { slots.store(index, Result { try body(index) }) }
    }
    return try slots.values()
}

/// One result per index, written from any thread.
private final class ResultSlots<Value>: @unchecked Sendable {
    private var slots: [Result<Value, Error>?]
    private let lock = NSLock()

    init(count: Int) {
        slots = Array(repeating: nil, count: count)
    }

    func store(_ index: Int, _ result: Result<Value, Error>) {
        lock.lock()
        slots[index] = result
        lock.unlock()
    }

    /// The value at `index` (stored earlier); rethrows its error.
    func value(_ index: Int) throws -> Value {
        lock.lock()
        let result = slots[index]!
        lock.unlock()
        return try result.get()
    }

    /// The values in index order; rethrows the first stored error.
    func values() throws -> [Value] {
        lock.lock()
        defer { lock.unlock() }
        return try slots.map { try $0!.get() }
    }
}

/// Two stages of independent work on up to `threads` threads: `first(i)` for i in 0..<count, and for each i,
/// as soon as `first(i)` is done, `second(i, j, first(i))` for j in 0..<fanOut. Returns, in index order,
/// each first-stage value with its second-stage values.
///
/// A queue of both stages at once keeps every thread busy: with 3 seeds on 2 threads, the third seed's
/// first stage runs beside the second stages of the first two instead of alone. First-stage work is
/// started before any second-stage work that is ready at the same time (it unblocks more). Every task
/// runs even when another throws; the first error in index order (first stage before second) is
/// rethrown. Results do not depend on `threads` as long as each task is independent of the others.
public func parallelFanOut<First, Second>(
    count: Int, fanOut: Int, threads: Int,
    first: @escaping @Sendable (Int) throws -> First,
    second: @escaping @Sendable (Int, Int, First) throws -> Second
) throws -> [(first: First, second: [Second])] {
    precondition(count >= 0 && fanOut >= 0, "count and fanOut must be non-negative, got \(count) and \(fanOut)")
    precondition(threads >= 1, "threads must be at least 1, got \(threads)")
    let firsts = ResultSlots<First>(count: count)
    let seconds = ResultSlots<Second>(count: count * fanOut)
    @Sendable func runSecond(_ index: Int, _ branch: Int) {
        seconds.store(index * fanOut + branch, Result {
            try second(index, branch, try firsts.value(index))
        })
    }
    if threads == 1 {
        for index in 0..<count {
            firsts.store(index, Result { try first(index) })
            for branch in 0..<fanOut { runSecond(index, branch) }
        }
    } else {
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = threads
        for index in 0..<count {
            let stage = BlockOperation { firsts.store(index, Result { try first(index) }) }
            stage.queuePriority = .high
            for branch in 0..<fanOut {
                let next = BlockOperation { runSecond(index, branch) }
                next.addDependency(stage)
                queue.addOperation(next)
            }
            queue.addOperation(stage)
        }
        queue.waitUntilAllOperationsAreFinished()
    }
    let firstValues = try firsts.values()
    let secondValues = try seconds.values()
    return (0..<count).map { index in
        (firstValues[index], Array(secondValues[(index * fanOut)..<((index + 1) * fanOut)]))
    }
}
