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

    /// The values in index order; rethrows the first stored error.
    func values() throws -> [Value] {
        lock.lock()
        defer { lock.unlock() }
        return try slots.map { try $0!.get() }
    }
}
