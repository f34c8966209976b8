import LinearAlgebra
import Tasks
import TestSupport
import XCTest

final class KeyValueLookupTaskTests: XCTestCase {
    func testEveryAnswerValueIsThePromptsValueOfTheKeyBeforeIt() {
        propertySweep(seeds: 0..<10, shapes: [2, 6, 10]) { sweep, vertexCount in
            let vocabulary = HamiltonianCyclesVocabulary(vertexCount: vertexCount)
            let task = KeyValueLookupTask(vocabulary: vocabulary)
            let (prompt, answer) = task.sample(using: &sweep.generator)
            let m = task.pairCount
            XCTAssertEqual(prompt.count, 3 * m)
            XCTAssertEqual(answer.count, 2 * m + 1)
            XCTAssertLessThanOrEqual(answer.count, vertexCount + 1, "fits where a Hamiltonian answer fits")
            XCTAssertEqual(prompt.last, vocabulary.answerMarker)
            XCTAssertEqual(answer.last, vocabulary.endOfSequence)
            var table: [Int: Int] = [:]
            for start in stride(from: 0, to: prompt.count - 1, by: 3) { table[prompt[start]] = prompt[start + 1] }
            XCTAssertEqual(table.count, m, "distinct keys")
            for index in stride(from: 0, to: 2 * m, by: 2) { XCTAssertEqual(table[answer[index]], answer[index + 1]) }
            XCTAssertEqual(Set(stride(from: 0, to: 2 * m, by: 2).map { answer[$0] }), Set(table.keys), "every key once")
            XCTAssertTrue((prompt + answer).allSatisfy { $0 >= 0 && $0 < vocabulary.size })
        }
    }
}
