import Autodiff
import Foundation
import LinearAlgebra
import TinyLM
import XCTest

/// Manual measurements, skipped unless TINYLM_BENCHMARK is set. Run in release:
///   OPENBLAS_NUM_THREADS=1 TINYLM_BENCHMARK=1 swift test -c release -Xswiftc -enable-testing --scratch-path .build-lm-release \
///       --filter TrainingSpeedTests
final class TrainingSpeedTests: XCTestCase {
    private func skipUnlessRequested() throws {
        try XCTSkipIf(ProcessInfo.processInfo.environment["TINYLM_BENCHMARK"] == nil, "set TINYLM_BENCHMARK=1 to measure")
    }

    private func seconds(_ body: () throws -> Void) rethrows -> Double {
        try measured(body).wall
    }

    /// Wall time and process CPU time: on a loaded machine the CPU time (with OPENBLAS_NUM_THREADS=1)
    /// is the better estimate of the unloaded wall time.
    private func measured(_ body: () throws -> Void) rethrows -> (wall: Double, cpu: Double) {
        func cpuNow() -> Double {
            var time = timespec()
            clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
            return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
        }
        let start = DispatchTime.now().uptimeNanoseconds
        let cpuStart = cpuNow()
        try body()
        return (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, cpuNow() - cpuStart)
    }

    func testAdamStepTimeAtWidth64TwoLayersContext32Batch32() throws {
        try skipUnlessRequested()
        let vocabularySize = 64
        let model0 = try TinyLM(configuration: .small(vocabularySize: vocabularySize), seed: 0)
        var model = model0
        var generator = SeededGenerator(seed: 1)
        let sequences = (0..<32).map { _ in (0..<32).map { _ in Int.random(in: 0..<vocabularySize, using: &generator) } }
        let batch = try TokenBatch(sequences)
        var adam = Adam()
        try model.trainNextToken(on: batch, optimizer: &adam)  // warm-up
        let steps = 20
        let total = try measured { for _ in 0..<steps { try model.trainNextToken(on: batch, optimizer: &adam) } }
        let forwardOnly = try measured {
            for _ in 0..<steps {
                let tape = Tape()
                _ = try model.forward(batch, on: tape, differentiable: false)
            }
        }
        print(String(format: "TinyLM d=64 L=2 T=32 B=32: Adam step %.1f ms wall / %.1f ms CPU; forward without gradients %.1f ms wall / %.1f ms CPU",
                     1000 * total.wall / Double(steps), 1000 * total.cpu / Double(steps),
                     1000 * forwardOnly.wall / Double(steps), 1000 * forwardOnly.cpu / Double(steps)))
    }

    func testStandardPretrainingOnTheGrammar() throws {
        try skipUnlessRequested()
        let grammar = try Grammar.agreeableness()
        let configuration = PretrainingConfiguration()
        let corpus = try PretrainingCorpus(grammar: grammar, configuration: configuration)
        let model = try TinyLM(configuration: .small(vocabularySize: corpus.tokenizer.count), seed: 0)
        var result: PretrainingResult?
        let time = try seconds { result = try Pretraining.run(model: model, corpus: corpus, configuration: configuration) }
        let trained = result!
        print(String(format: "pretraining %d steps: %.1f s, held-out loss %.3f -> %.3f (V = %d)", configuration.steps, time,
                     trained.heldOutLossBefore, trained.heldOutLossAfter, corpus.tokenizer.count))
        // Hidden state at the answer position: paraphrases vs the opposite class.
        let tokenizer = corpus.tokenizer
        let prompt = "Statement: I enjoy helping others when they need it."
        func hidden(_ response: String) throws -> [Double] {
            let tokens = try tokenizer.encodeDocument(prompt + " " + response, appendingEnd: false)
            return try trained.model.evaluate([tokens])[0].hidden.row(tokens.count - 1)
        }
        func cosine(_ a: [Double], _ b: [Double]) -> Double {
            BLAS.dot(a, b) / (BLAS.norm(a) * BLAS.norm(b))
        }
        let responses = ["In my view, the answer is yes", "In my view, the answer is sure",
                         "My response would be certainly", "My response would be absolutely",
                         "I lean toward no", "I lean toward nope", "My judgement: never"]
        let states = try responses.map(hidden)
        for i in 0..<responses.count {
            let row = (0..<responses.count).map { String(format: "%.2f", cosine(states[i], states[$0])) }
            print(responses[i].padding(toLength: 34, withPad: " ", startingAt: 0), row.joined(separator: " "))
        }
        let evaluations = try trained.model.evaluate([try tokenizer.encodeDocument(prompt + " In my view, the answer is", appendingEnd: false)])
        let next = evaluations[0].logProbabilities.row(evaluations[0].tokens.count - 1)
        let top = next.enumerated().sorted { $0.element > $1.element }.prefix(8)
            .map { "\(tokenizer.vocabulary[$0.offset])=\(String(format: "%.2f", exp($0.element)))" }
        print("next after the view template:", top.joined(separator: " "))
    }
}
