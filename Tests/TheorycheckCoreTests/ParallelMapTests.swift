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

    func testFanOutRunsEverySecondStageOnItsOwnFirstStageInOrder() throws {
        for threads in [1, 2, 3] {
            let result = try parallelFanOut(count: 3, fanOut: 4, threads: threads,
                                            first: { index in 10 * index },
                                            second: { index, branch, first in "\(index).\(branch):\(first)" })
            XCTAssertEqual(result.map(\.first), [0, 10, 20], "\(threads) threads")
            XCTAssertEqual(result.map(\.second), (0..<3).map { index in (0..<4).map { "\(index).\($0):\(10 * index)" } },
                           "\(threads) threads")
        }
    }

    func testFanOutRethrowsTheFirstErrorInIndexOrder() {
        for threads in [1, 2] {
            XCTAssertThrowsError(try parallelFanOut(
                count: 3, fanOut: 2, threads: threads,
                first: { index in if index == 2 { throw Failure(index: 20) }; return index },
                second: { index, branch, _ in if index == 1 && branch == 1 { throw Failure(index: 11) }; return branch }
            )) { error in
                // First-stage errors come before second-stage ones; a second stage of a failed first stage
                // fails with that error too.
                XCTAssertEqual(error as? Failure, Failure(index: 20), "\(threads) threads")
            }
            XCTAssertThrowsError(try parallelFanOut(
                count: 3, fanOut: 2, threads: threads, first: { $0 },
                second: { index, branch, _ in if index >= 1 && branch == 1 { throw Failure(index: 10 * index + branch) }; return branch }
            )) { error in
                XCTAssertEqual(error as? Failure, Failure(index: 11), "\(threads) threads")
            }
        }
    }
}
