import TheorycheckCore

/// The training examples of a `HamiltonianCyclesDataset` split into the examples a model trains on and
/// a validation set carved from them, for choosing settings without looking at the test graphs.
///
/// The last `validationCount` training examples become the validation set; every other training
/// example whose graph is also a validation graph is dropped (small N repeats graphs often: at N = 6,
/// p = 0.2 a bare planted cycle is one of only 60 graphs), so the validation accuracy measures
/// generalization to graphs the model never saw. The test examples are untouched.
///
/// Properties (tested): no training graph is a validation graph; the validation set has exactly
/// `validationCount` examples, in dataset order; training and validation are drawn from the dataset's
/// training examples only, each at most once; validation count 0 keeps every training example.
public struct HamiltonianCyclesValidationSplit: Sendable, Hashable {
    public let train: [HamiltonianCyclesExample]
    public let validation: [HamiltonianCyclesExample]
    /// Training examples dropped because their graph is a validation graph.
    public let droppedDuplicates: Int

    public init(_ dataset: HamiltonianCyclesDataset, validationCount: Int) throws {
        guard validationCount >= 0, validationCount < dataset.train.count else {
            throw ConfigurationError(
                "the validation set (\(validationCount) graphs) must be carved from the \(dataset.train.count) training graphs and leave some; use 0 ..< \(dataset.train.count)")
        }
        let cut = dataset.train.count - validationCount
        validation = Array(dataset.train[cut...])
        let validationGraphs = Set(validation.map(\.graph))
        let candidates = dataset.train[..<cut]
        train = candidates.filter { !validationGraphs.contains($0.graph) }
        droppedDuplicates = candidates.count - train.count
        if train.isEmpty {
            throw ConfigurationError("every training graph is also a validation graph; use fewer validation graphs")
        }
    }
}
