import TheorycheckCore
import XCTest

final class ParallelMapTests: XCTestCase {
    private struct Failure: Error, Equatable {
        let index: Int
    }

    func testParallelMapKeepsIndexOrderForEveryThreadCount() throws {
        for threads in [1, 2, 5] {
            XCTAssertEqual(try parallelMap(count: 7, threads: threads) { $0 * $0 }, [0, 1, 4, 9, 16, 25, 36])
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
