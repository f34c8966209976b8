import Foundation
import TheorycheckCore
import XCTest

final class ParallelMapTests: XCTestCase {
    private struct Failure: Error, Equatable { let index: Int }

    func testResultsAreInIndexOrderWhateverTheThreadCount() throws {
        let expected = (0..<50).map { $0 * $0 }
        for threads in [1, 2, 7] {
            XCTAssertEqual(try parallelMap(count: 50, threads: threads) { $0 * $0 }, expected, "threads \(threads)")
        }
        XCTAssertEqual(try parallelMap(count: 0, threads: 2) { $0 }, [])
    }

    func testTheFirstErrorInIndexOrderIsRethrownAndEveryIndexRuns() {
        final class Counter: @unchecked Sendable {
            private let lock = NSLock()
            private(set) var count = 0
            func add() { lock.lock(); count += 1; lock.unlock() }
        }
        for threads in [1, 2] {
            let counter = Counter()
            XCTAssertThrowsError(try parallelMap(count: 10, threads: threads) { index -> Int in
                counter.add()
                if index == 3 || index == 8 { throw Failure(index: index) }
                return index
            }) { error in
                XCTAssertEqual(error as? Failure, Failure(index: 3), "threads \(threads)")
            }
            XCTAssertEqual(counter.count, 10, "threads \(threads)")
        }
    }
}
