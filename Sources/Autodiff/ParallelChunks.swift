import Dispatch
import Foundation

/// Runs `body(0), ..., body(chunks - 1)` on up to `threads` threads, each chunk on exactly one thread.
///
/// The tape's kernels cut their work into chunks that depend only on the shapes (never on `threads`), and
/// every chunk writes its own disjoint part of the output with the same arithmetic as the serial loop,
/// so the result is bit-identical for every thread count. Chunks are handed out from a shared counter,
/// so a core slowed by another process does not hold the others up. With one thread or one chunk the
/// loop runs on the calling thread, with no dispatch.
enum ParallelChunks {
    static func run(chunks: Int, threads: Int, _ body: (Int) -> Void) {
        let workers = min(threads, chunks)
        if workers <= 1 {
            for chunk in 0..<chunks { body(chunk) }
            return
        }
        withoutActuallyEscaping(body) { body in
            let shared = SharedBody(call: body, chunks: chunks)
            DispatchQueue.concurrentPerform(iterations: workers) { _ in
                while let chunk = shared.next() { shared.call(chunk) }
            }
        }
    }

    /// The per-chunk work and the next chunk to hand out. Safe to share because of the contract above:
    /// calls for different chunks write disjoint memory (through pointers the closure captured).
    private final class SharedBody: @unchecked Sendable {
        let call: (Int) -> Void
        private let chunks: Int
        private var nextChunk = 0
        private let lock = NSLock()

        init(call: @escaping (Int) -> Void, chunks: Int) {
            self.call = call
            self.chunks = chunks
        }

        func next() -> Int? {
            lock.lock()
            defer { lock.unlock() }
            guard nextChunk < chunks else { return nil }
            nextChunk += 1
            return nextChunk - 1
        }
    }
}

/// A fixed cut of `count` rows into chunks of about `targetElements` entries each (`columns` per row),
/// at most `maximumChunks` of them: the same cut for every thread count.
struct RowChunks {
    let count: Int
    let chunkRows: Int

    init(rows: Int, columns: Int, targetElements: Int = 1 << 14, maximumChunks: Int = 16) {
        count = rows
        let byWork = max(1, targetElements / max(columns, 1))
        let byCount = (rows + maximumChunks - 1) / maximumChunks
        chunkRows = max(1, max(byWork, byCount))
    }

    var chunks: Int { count == 0 ? 0 : (count + chunkRows - 1) / chunkRows }

    func rows(_ chunk: Int) -> Range<Int> {
        (chunk * chunkRows)..<min(count, (chunk + 1) * chunkRows)
    }
}
