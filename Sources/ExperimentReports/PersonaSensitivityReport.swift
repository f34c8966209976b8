import Experiments
import Foundation
import Reports
import TheorycheckCore
import TinyLM

/// The terminal tables, the `--json` document and the markdown report
/// (notebooks-md/persona-sensitivity.md) of `theorycheck persona-sensitivity`.
public struct PersonaSensitivityReport: Presentation {
    public let result: PersonaSensitivityResult

    public init(result: PersonaSensitivityResult) {
        self.result = result
    }

    // MARK: - Figures shared by every output

    /// Persona's two paraphrase sets, in table order.
    static let paraphraseSets = ["paraphrase", "paraphrase_test"]
    static let setLabels = ["train": "originals, train prompts", "test": "originals, test prompts",
                            "paraphrase": "paraphrases, train prompts", "paraphrase_test": "paraphrases, test prompts"]
    /// Below 0.45 or above 0.55 (means over seeds) counts as clearly below or above chance (0.5).
    static let chanceBand = 0.45...0.55

    private var configuration: PersonaSensitivityConfiguration { result.configuration }
    private var grid: [Int] { configuration.pretrainingSteps }
    private var epochGrid: [Int] { configuration.epochs }
    private var lastEpoch: Int { epochGrid.last! }
    /// Evaluated epochs from 1 on (the curves over epochs; epoch 0 is the untrained tie at 1/2).
    private var curveEpochs: [Int] { configuration.evaluatedEpochs }

    private static func spread(_ value: SeedSpread) -> String {
        fixed(value.mean) + " ± " + fixed(value.sd) + " [" + fixed(value.min) + ", " + fixed(value.max) + "]"
    }

    private static func meanSD(_ value: SeedSpread) -> String {
        fixed(value.mean) + " ± " + fixed(value.sd)
    }

    private static func fixed(_ value: Double) -> String { NumberFormat.fixed(value, decimals: 3) }

    private static func epochs(_ count: Int) -> String { count == 1 ? "1 epoch" : "\(count) epochs" }

    private static func loss(_ value: SeedSpread) -> String {
        NumberFormat.significant(value.mean, digits: 3) + " ± " + NumberFormat.significant(value.sd, digits: 2)
    }

    // MARK: - Tables

    /// Rows (reward model, pretraining steps), columns the epoch grid: accuracy on `set`.
    func accuracyTable(set: String) -> MarkdownTable {
        var table = MarkdownTable(headers: ["reward model", "pretraining steps"] + epochGrid.map { Self.epochs($0) },
                                  alignments: [.left, .right] + epochGrid.map { _ in .right })
        for type in result.rewardModels {
            for steps in grid {
                table.addRow([type.label, "\(steps)"] + epochGrid.map { epoch in
                    Self.spread(result.accuracy(type, pretrainingSteps: steps, epoch: epoch, set: set))
                })
            }
        }
        return table
    }

    /// Rows (reward model, pretraining steps), columns the epoch grid: accuracy on the two original sets.
    func originalsTable() -> MarkdownTable {
        var table = MarkdownTable(headers: ["reward model", "pretraining steps"] + epochGrid.map { Self.epochs($0) + ": train / test" },
                                  alignments: [.left, .right] + epochGrid.map { _ in .right })
        for type in result.rewardModels {
            for steps in grid {
                table.addRow([type.label, "\(steps)"] + epochGrid.map { epoch in
                    Self.meanSD(result.accuracy(type, pretrainingSteps: steps, epoch: epoch, set: "train")) + " / "
                        + Self.meanSD(result.accuracy(type, pretrainingSteps: steps, epoch: epoch, set: "test"))
                })
            }
        }
        return table
    }

    /// Rows (reward model, pretraining steps), columns the epoch grid: the mean training loss of that epoch.
    func lossTable() -> MarkdownTable {
        var table = MarkdownTable(headers: ["reward model", "pretraining steps"] + epochGrid.map { "epoch \($0)" },
                                  alignments: [.left, .right] + epochGrid.map { _ in .right })
        for type in result.rewardModels {
            for steps in grid {
                table.addRow([type.label, "\(steps)"] + epochGrid.map { epoch in
                    Self.loss(result.trainingLoss(type, pretrainingSteps: steps, epoch: epoch))
                })
            }
        }
        return table
    }

    /// Rows (IM-RM type, pretraining steps, paraphrase set), columns the epoch grid: accuracy when the pairs
    /// are ranked by the template tokens' part of the reward alone, and by the answer tokens' part alone.
    func splitTable() -> MarkdownTable {
        var table = MarkdownTable(
            headers: ["reward model", "pretraining steps", "set"] + epochGrid.map { Self.epochs($0) + ": first token / template / answer" },
            alignments: [.left, .right, .left] + epochGrid.map { _ in .right })
        for type in result.rewardModels where type.isImplicit {
            for steps in grid {
                for set in Self.paraphraseSets {
                    table.addRow([type.label, "\(steps)", Self.setLabels[set]!] + epochGrid.map { epoch in
                        let parts = split(type, steps, epoch, set)
                        return Self.meanSD(parts.first) + " / " + Self.meanSD(parts.template) + " / " + Self.meanSD(parts.answer)
                    })
                }
            }
        }
        return table
    }

    /// Accuracy over seeds of the template part and of the answer part of an IM-RM's paraphrase rewards.
    private func split(_ type: RewardModelKind, _ steps: Int, _ epoch: Int, _ set: String)
        -> (first: SeedSpread, template: SeedSpread, answer: SeedSpread)
    {
        let splits = result.runs(type, pretrainingSteps: steps).map { $0.rewardSplit(set, epoch: epoch)! }
        return (SeedSpread(splits.map(\.firstToken.accuracy)), SeedSpread(splits.map(\.template.accuracy)),
                SeedSpread(splits.map(\.answer.accuracy)))
    }

    /// Where the first word of each paraphrase template occurs as the first word of a training template:
    /// a token the IM-RM has seen at that position, with a sign.
    static func templateOverlap() -> String {
        func first(_ template: String) -> String { String(template.lowercased().split(separator: " ").first ?? "") }
        let training = [("chosen", PersonaDataset.chosenTemplates), ("rejected", PersonaDataset.rejectedTemplates)]
        let paraphrases = [("chosen", PersonaDataset.paraphraseChosenTemplates), ("rejected", PersonaDataset.paraphraseRejectedTemplates)]
        var pieces: [String] = []
        for (side, templates) in paraphrases {
            for template in templates {
                let word = first(template)
                let matches = training.flatMap { kind, list in list.filter { first($0) == word }.map { "the \(kind) training template \"\($0)\"" } }
                pieces.append("the \(side) paraphrase template \"\(template)\" starts with \"\(word)\", "
                    + (matches.isEmpty ? "which starts no training response" : "as does " + matches.joined(separator: " and ")))
            }
        }
        return pieces.joined(separator: "; ")
    }

    /// Rows pretraining steps: held-out next-token loss, over seeds.
    func backboneTable() -> MarkdownTable {
        var table = MarkdownTable(headers: ["pretraining steps", "held-out next-token loss"], alignments: [.right, .right])
        for steps in grid { table.addRow(["\(steps)", Self.spread(result.heldOutLoss(pretrainingSteps: steps))]) }
        return table
    }

    /// Rows (pretraining steps, view): the cosines (raw or centered), mean ± sd over seeds.
    func similarityTable(centered: Bool) -> MarkdownTable {
        var table = MarkdownTable(
            headers: ["pretraining steps", "view", "paraphrase vs original, same stance", "opposite stance",
                      "gap (same - opposite)", "baseline: agree vs disagree originals"],
            alignments: [.right, .left, .right, .right, .right, .right])
        for steps in grid {
            for view in RepresentationSimilarity.views {
                func cell(_ figure: KeyPath<StanceCosines, Double>) -> String {
                    Self.meanSD(result.similarity(pretrainingSteps: steps, view: view.name, centered: centered, figure))
                }
                table.addRow(["\(steps)", view.label, cell(\.sameStance), cell(\.oppositeStance), cell(\.stanceGap),
                              cell(\.agreeVersusDisagree)])
            }
        }
        return table
    }

    /// Rows reward models, columns every evaluated epoch from 1: paraphrase accuracy (train prompts) and
    /// the epoch's training loss, after the longest pretraining.
    func longTrainingTable(pretrainingSteps steps: Int) -> MarkdownTable {
        let epochs = curveEpochs.filter { $0 >= 1 }
        var table = MarkdownTable(headers: ["reward model", "figure"] + epochs.map { "epoch \($0)" },
                                  alignments: [.left, .left] + epochs.map { _ in .right })
        for type in result.rewardModels {
            for set in Self.paraphraseSets {
                table.addRow([type.label, "accuracy, " + Self.setLabels[set]!] + epochs.map { epoch in
                    Self.meanSD(result.accuracy(type, pretrainingSteps: steps, epoch: epoch, set: set))
                })
            }
            table.addRow([type.label, "training loss"] + epochs.map { epoch in
                Self.loss(result.trainingLoss(type, pretrainingSteps: steps, epoch: epoch))
            })
        }
        return table
    }

    // MARK: - Terminal text

    public var terminalText: String {
        var lines = ["Persona sensitivity: mean ± sd [min, max] over \(result.seeds.count) seed(s); "
            + "pretraining steps \(grid.map(String.init).joined(separator: ", ")), epochs \(epochGrid.map(String.init).joined(separator: ", ")).", ""]
        for set in Self.paraphraseSets {
            lines += ["Accuracy on \(Self.setLabels[set]!):", accuracyTable(set: set).render()]
        }
        lines += ["Representation similarity of the backbone (centered cosines), mean ± sd:",
                  similarityTable(centered: true).render(), "Readings:"]
        lines += readings().map { "- " + $0 }
        return lines.joined(separator: "\n")
    }

    // MARK: - JSON

    /// One cell of the grid: a reward model after a pretraining length and a number of epochs.
    public struct Cell: Encodable {
        public let rmType: String
        public let pretrainingSteps: Int
        public let epochs: Int
        /// Set name -> accuracy over seeds.
        public let accuracy: [String: SeedSpread]
        /// The mean training loss of the cell's last epoch.
        public let trainingLoss: SeedSpread
        /// Whether `epochs` is on the epoch grid (otherwise one of the extra points of the curves).
        public let onGrid: Bool
    }

    /// One view of the similarity over seeds.
    public struct SimilaritySpread: Encodable {
        public let sameStance: SeedSpread
        public let oppositeStance: SeedSpread
        public let stanceGap: SeedSpread
        public let agreeVersusDisagree: SeedSpread
    }

    /// One view's raw and centered cosines over seeds.
    public struct ViewSpread: Encodable {
        public let raw: SimilaritySpread
        public let centered: SimilaritySpread
    }

    /// A pretraining length's backbone over seeds.
    public struct Backbone: Encodable {
        public let pretrainingSteps: Int
        public let heldOutLoss: SeedSpread
        /// View name (`RepresentationSimilarity.views`) -> cosines.
        public let similarity: [String: ViewSpread]
    }

    /// What `--json` prints.
    public struct Document: Encodable {
        public let configuration: PersonaSensitivityConfiguration
        public let pairCounts: [String: Int]
        public let stepsPerEpoch: Int
        public let backbones: [Backbone]
        public let cells: [Cell]
        public let readings: [String]
    }

    public var jsonDocument: Document {
        let backbones = grid.map { steps in
            var views: [String: ViewSpread] = [:]
            for view in RepresentationSimilarity.views {
                func spread(centered: Bool) -> SimilaritySpread {
                    func figure(_ path: KeyPath<StanceCosines, Double>) -> SeedSpread {
                        result.similarity(pretrainingSteps: steps, view: view.name, centered: centered, path)
                    }
                    return SimilaritySpread(sameStance: figure(\.sameStance), oppositeStance: figure(\.oppositeStance),
                                            stanceGap: figure(\.stanceGap), agreeVersusDisagree: figure(\.agreeVersusDisagree))
                }
                views[view.name] = ViewSpread(raw: spread(centered: false), centered: spread(centered: true))
            }
            return Backbone(pretrainingSteps: steps, heldOutLoss: result.heldOutLoss(pretrainingSteps: steps), similarity: views)
        }
        var cells: [Cell] = []
        for type in result.rewardModels {
            for steps in grid {
                for epoch in curveEpochs where epoch >= 1 {
                    var accuracy: [String: SeedSpread] = [:]
                    for set in PersonaDataset.setNames {
                        accuracy[set] = result.accuracy(type, pretrainingSteps: steps, epoch: epoch, set: set)
                    }
                    cells.append(Cell(rmType: type.rawValue, pretrainingSteps: steps, epochs: epoch, accuracy: accuracy,
                                      trainingLoss: result.trainingLoss(type, pretrainingSteps: steps, epoch: epoch),
                                      onGrid: epochGrid.contains(epoch)))
                }
            }
        }
        return Document(configuration: configuration, pairCounts: result.pairCounts, stepsPerEpoch: result.stepsPerEpoch,
                        backbones: backbones, cells: cells, readings: readings())
    }

    // MARK: - Readings, computed from the numbers

    /// Mean over seeds of the two paraphrase sets' accuracies, and whether both are below / above chance.
    private func paraphrase(_ type: RewardModelKind, _ steps: Int, _ epoch: Int) -> (train: SeedSpread, test: SeedSpread) {
        (result.accuracy(type, pretrainingSteps: steps, epoch: epoch, set: "paraphrase"),
         result.accuracy(type, pretrainingSteps: steps, epoch: epoch, set: "paraphrase_test"))
    }

    private func isBelowChance(_ type: RewardModelKind, _ steps: Int, _ epoch: Int) -> Bool {
        let (train, test) = paraphrase(type, steps, epoch)
        return train.mean < Self.chanceBand.lowerBound && test.mean < Self.chanceBand.lowerBound
    }

    private func isAboveChance(_ type: RewardModelKind, _ steps: Int, _ epoch: Int) -> Bool {
        let (train, test) = paraphrase(type, steps, epoch)
        return train.mean > Self.chanceBand.upperBound && test.mean > Self.chanceBand.upperBound
    }

    private func cellName(_ steps: Int, _ epoch: Int) -> String { "(\(steps), \(epoch))" }

    private func list(_ names: [String]) -> String { names.isEmpty ? "none" : names.joined(separator: ", ") }

    /// Per seed, the mean of the two paraphrase accuracies after `epoch` epochs on each backbone, with
    /// that backbone's similarity figure: the points of a correlation over (seed, pretraining length).
    private func correlation(_ type: RewardModelKind, epoch: Int, view: String, centered: Bool,
                             _ figure: KeyPath<StanceCosines, Double>) -> Double
    {
        var accuracies: [Double] = []
        var similarities: [Double] = []
        for steps in grid {
            let runs = result.runs(type, pretrainingSteps: steps)
            for (run, backbone) in zip(runs, result.backbones(pretrainingSteps: steps)) {
                accuracies.append((run.metrics("paraphrase", epoch: epoch).accuracy
                    + run.metrics("paraphrase_test", epoch: epoch).accuracy) / 2)
                similarities.append(backbone.similarity.view(view).cosines(centered: centered)[keyPath: figure])
            }
        }
        // The Pearson correlation (NaN when either side is constant), as PredictionAgreement computes it.
        return PredictionAgreement(predicted: similarities, actual: accuracies).correlation
    }

    private func describeCorrelation(_ value: Double) -> String {
        value.isNaN ? "undefined (one side does not vary)" : "r = " + NumberFormat.fixed(value, decimals: 2)
    }

    /// Sentences that state what the numbers show, derived from them (never hand-written conclusions).
    /// A cell is (pretraining steps, epochs); "below chance" means the mean over seeds is under 0.45 on
    /// both paraphrase sets, "above chance" over 0.55 on both.
    public func readings() -> [String] {
        var lines: [String] = []
        let seedCount = result.seeds.count
        if seedCount < 3 {
            lines.append("Only \(seedCount) seed(s): the spreads below are not meaningful; run with --seeds 3 or more.")
        }
        let cells = grid.flatMap { steps in epochGrid.map { (steps, $0) } }

        // Where the originals are fit.
        for type in result.rewardModels {
            let unfit = cells.filter { steps, epoch in
                result.accuracy(type, pretrainingSteps: steps, epoch: epoch, set: "train").mean < 0.99
            }
            if !unfit.isEmpty {
                lines.append("\(type.label) has not fit its training pairs (train accuracy below 0.99) in cells "
                    + list(unfit.map { cellName($0.0, $0.1) }) + "; its paraphrase accuracy there says little.")
            }
        }

        // Where the IM-RM's below-chance paraphrase accuracy appears.
        for type in result.rewardModels where type.isImplicit || type == .explicit {
            let below = cells.filter { isBelowChance(type, $0.0, $0.1) }.map { cellName($0.0, $0.1) }
            let above = cells.filter { isAboveChance(type, $0.0, $0.1) }.map { cellName($0.0, $0.1) }
            lines.append("\(type.label), cells (pretraining steps, epochs) below chance on both paraphrase sets: "
                + list(below) + "; above chance: " + list(above) + ".")
        }

        // The paper's picture, cell by cell and seed by seed.
        if result.rewardModels.contains(.explicit) && result.rewardModels.contains(.implicit) {
            let holds = cells.filter { isAboveChance(.explicit, $0.0, $0.1) && isBelowChance(.implicit, $0.0, $0.1) }
            var perSeed: [String] = []
            for (steps, epoch) in cells {
                let explicitRuns = result.runs(.explicit, pretrainingSteps: steps)
                let implicitRuns = result.runs(.implicit, pretrainingSteps: steps)
                let count = zip(explicitRuns, implicitRuns).filter { ex, im in
                    Self.paraphraseSets.allSatisfy { ex.metrics($0, epoch: epoch).accuracy > 0.5 }
                        && Self.paraphraseSets.allSatisfy { im.metrics($0, epoch: epoch).accuracy < 0.5 }
                }.count
                perSeed.append(cellName(steps, epoch) + " \(count)/\(seedCount)")
            }
            let placement = holds.isEmpty ? "in none of the \(cells.count) cells"
                : "in \(holds.count) of the \(cells.count) cells: " + list(holds.map { cellName($0.0, $0.1) })
            lines.append("The paper's picture (EX-RM above chance and IM-RM below chance on both paraphrase sets, "
                + "means over seeds) holds " + placement + ". "
                + "Seeds in which it holds individually (EX-RM > 0.5, IM-RM < 0.5 on both sets): " + perSeed.joined(separator: ", ") + ".")
        }

        // How the IM-RM tracks the representation similarity.
        if let first = grid.first, let last = grid.last, first != last {
            func path(_ view: String) -> String {
                grid.map { NumberFormat.fixed(result.similarity(pretrainingSteps: $0, view: view, centered: true, \.stanceGap).mean,
                                              decimals: 2) }.joined(separator: " -> ")
            }
            lines.append("Over pretraining steps " + grid.map(String.init).joined(separator: ", ") + " the centered stance gap "
                + "(same- minus opposite-stance cosine of paraphrase and original) goes: "
                + RepresentationSimilarity.views.map { "\($0.label) " + path($0.name) }.joined(separator: "; ") + ".")
            for type in result.rewardModels where type == .implicit || type == .explicit {
                let path = grid.map { steps in
                    "\(steps): " + Self.fixed(paraphrase(type, steps, lastEpoch).train.mean) + " / "
                        + Self.fixed(paraphrase(type, steps, lastEpoch).test.mean)
                }
                let correlations = RepresentationSimilarity.views.map { view in
                    view.label + " " + describeCorrelation(correlation(type, epoch: lastEpoch, view: view.name, centered: true, \.stanceGap))
                }
                lines.append("\(type.label) paraphrase accuracy (train / test prompts) after \(lastEpoch) epochs by pretraining "
                    + "steps: " + path.joined(separator: "; ") + ". Its correlation over the \(grid.count * seedCount) "
                    + "(seed, pretraining length) backbones with the centered stance gap: " + correlations.joined(separator: ", ") + ".")
            }
        }

        // Which tokens an IM-RM's paraphrase ranking comes from.
        for type in result.rewardModels where type == .implicit {
            let pieces = grid.map { steps -> String in
                let parts = Self.paraphraseSets.map { split(type, steps, lastEpoch, $0) }
                func both(_ path: KeyPath<(first: SeedSpread, template: SeedSpread, answer: SeedSpread), SeedSpread>) -> String {
                    Self.fixed((parts[0][keyPath: path].mean + parts[1][keyPath: path].mean) / 2)
                }
                return "\(steps) steps: first token \(both(\.first)), template \(both(\.template)), answer \(both(\.answer))"
            }
            lines.append("\(type.label) paraphrase accuracy after \(Self.epochs(lastEpoch)) when pairs are ranked by one part of the "
                + "reward alone (mean of both sets): " + pieces.joined(separator: "; ") + ". In the data, "
                + Self.templateOverlap() + ".")
        }

        // The largest seed spread per reward model.
        for type in result.rewardModels {
            var widest: (name: String, value: SeedSpread)?
            for (steps, epoch) in cells {
                for set in Self.paraphraseSets {
                    let value = result.accuracy(type, pretrainingSteps: steps, epoch: epoch, set: set)
                    if widest == nil || value.max - value.min > widest!.value.max - widest!.value.min {
                        widest = (cellName(steps, epoch) + " on " + Self.setLabels[set]!, value)
                    }
                }
            }
            if let widest, seedCount > 1 {
                lines.append("\(type.label): widest seed range of paraphrase accuracy at cell \(widest.name): "
                    + Self.fixed(widest.value.min) + " to " + Self.fixed(widest.value.max) + " (sd " + Self.fixed(widest.value.sd) + ").")
            }
        }

        lines += longTrainingReadings()
        return lines
    }

    /// Whether the reward models' paraphrase accuracy changes over the longest reward training, per
    /// pretraining length: first grid epoch against last, and the first evaluated epoch at which a run that
    /// was below chance rises above 0.5 (the flip of the fixed-representation IM-RM in `dynamics --steps
    /// 3000`).
    private func longTrainingReadings() -> [String] {
        guard let firstEpoch = epochGrid.first, firstEpoch < lastEpoch else { return [] }
        var lines: [String] = []
        for type in result.rewardModels where type.isImplicit || type == .explicit {
            var pieces: [String] = []
            var flips: [String] = []
            for steps in grid {
                let (startTrain, startTest) = paraphrase(type, steps, firstEpoch)
                let (endTrain, endTest) = paraphrase(type, steps, lastEpoch)
                let lossStart = result.trainingLoss(type, pretrainingSteps: steps, epoch: firstEpoch)
                let lossEnd = result.trainingLoss(type, pretrainingSteps: steps, epoch: lastEpoch)
                pieces.append("\(steps) steps: " + Self.fixed((startTrain.mean + startTest.mean) / 2) + " -> "
                    + Self.fixed((endTrain.mean + endTest.mean) / 2) + " (loss " + NumberFormat.significant(lossStart.mean, digits: 3)
                    + " -> " + NumberFormat.significant(lossEnd.mean, digits: 3) + ")")
                for run in result.runs(type, pretrainingSteps: steps) {
                    let values = curveEpochs.filter { $0 >= 1 }.map { epoch in
                        (epoch, (run.metrics("paraphrase", epoch: epoch).accuracy + run.metrics("paraphrase_test", epoch: epoch).accuracy) / 2)
                    }
                    guard let low = values.firstIndex(where: { $0.1 < Self.chanceBand.lowerBound }) else { continue }
                    if let rise = values[low...].first(where: { $0.1 > 0.5 }) {
                        flips.append("seed \(run.seed) after \(steps) steps: below chance at epoch \(values[low].0), above 0.5 by epoch \(rise.0)")
                    }
                }
            }
            lines.append("\(type.label) paraphrase accuracy (mean of both sets, over seeds) from epoch \(firstEpoch) to \(lastEpoch), "
                + "with the epoch's training loss: " + pieces.joined(separator: "; ") + ". Runs (seed, pretraining length) "
                + "below 0.45 at one evaluated epoch and above 0.5 at a later one: " + list(flips) + ".")
        }
        return lines
    }

    // MARK: - Figures

    /// x = pretraining steps, one series per reward model (mean) with per-seed marks, after `epoch` epochs.
    private func pretrainingPlot(set: String, epoch: Int) -> SVGLinePlot {
        var series: [PlotSeries] = []
        for type in result.rewardModels {
            let runs = grid.map { result.runs(type, pretrainingSteps: $0) }
            let means = grid.map { result.accuracy(type, pretrainingSteps: $0, epoch: epoch, set: set).mean }
            let marks = zip(grid, runs).flatMap { steps, runs in
                runs.map { PlotPoint(x: Double(steps), y: $0.metrics(set, epoch: epoch).accuracy) }
            }
            series.append(PlotSeries(name: type.label, x: grid.map(Double.init), y: means, marks: marks))
        }
        return SVGLinePlot(title: "Accuracy on \(Self.setLabels[set]!) after \(epoch) epochs", xLabel: "pretraining steps",
                           yLabel: "accuracy (line: mean, marks: seeds)", series: series, xScale: .logarithmicSteps,
                           yRange: 0...1, referenceLines: [ReferenceLine(y: 0.5, label: "chance")])
    }

    /// x = evaluated epochs, one series per pretraining length with per-seed marks: one reward model.
    private func epochPlot(_ type: RewardModelKind, set: String) -> SVGLinePlot {
        var series: [PlotSeries] = []
        for steps in grid {
            let runs = result.runs(type, pretrainingSteps: steps)
            let means = curveEpochs.map { result.accuracy(type, pretrainingSteps: steps, epoch: $0, set: set).mean }
            let marks = runs.flatMap { run in
                curveEpochs.map { PlotPoint(x: Double($0), y: run.metrics(set, epoch: $0).accuracy) }
            }
            series.append(PlotSeries(name: "\(steps) pretraining steps", x: curveEpochs.map(Double.init), y: means, marks: marks))
        }
        return SVGLinePlot(title: "\(type.label): accuracy on \(Self.setLabels[set]!)", xLabel: "reward-training epoch",
                           yLabel: "accuracy (line: mean, marks: seeds)", series: series, xScale: .logarithmicSteps,
                           yRange: 0...1, referenceLines: [ReferenceLine(y: 0.5, label: "chance")])
    }

    /// x = epochs from 1, log10 of each epoch's mean training loss, one series per reward model after the
    /// longest pretraining, with per-seed marks.
    private func lossPlot(pretrainingSteps steps: Int) -> SVGLinePlot {
        let epochs = Array(1...lastEpoch)
        var series: [PlotSeries] = []
        for type in result.rewardModels {
            let runs = result.runs(type, pretrainingSteps: steps)
            let means = epochs.map { log10(result.trainingLoss(type, pretrainingSteps: steps, epoch: $0).mean) }
            let marks = runs.flatMap { run in
                curveEpochs.filter { $0 >= 1 }.map { PlotPoint(x: Double($0), y: log10(run.epochLosses[$0 - 1])) }
            }
            series.append(PlotSeries(name: type.label, x: epochs.map(Double.init), y: means, marks: marks))
        }
        return SVGLinePlot(title: "Training loss after \(steps) pretraining steps", xLabel: "reward-training epoch",
                           yLabel: "log10 of the epoch's mean training loss", series: series,
                           xScale: .logarithmic(zeroAt: nil), showsMarkers: false)
    }

    /// x = pretraining steps: the stance gap of every view (mean, per-seed marks).
    private func gapPlot(centered: Bool) -> SVGLinePlot {
        var series: [PlotSeries] = []
        for view in RepresentationSimilarity.views {
            let means = grid.map { result.similarity(pretrainingSteps: $0, view: view.name, centered: centered, \.stanceGap).mean }
            let marks = grid.flatMap { steps in
                result.backbones(pretrainingSteps: steps).map {
                    PlotPoint(x: Double(steps), y: $0.similarity.view(view.name).cosines(centered: centered).stanceGap)
                }
            }
            series.append(PlotSeries(name: view.label, x: grid.map(Double.init), y: means, marks: marks))
        }
        return SVGLinePlot(title: "Stance gap\(centered ? " (centered)" : " (raw)"): same- minus opposite-stance cosine",
                           xLabel: "pretraining steps",
                           yLabel: "cosine gap (line: mean, marks: seeds)", series: series, xScale: .logarithmicSteps,
                           referenceLines: [ReferenceLine(y: 0, label: "no stance information")])
    }

    /// x = pretraining steps: one view's three cosines, raw or centered (mean, per-seed marks).
    private func cosinePlot(view: (name: String, label: String), centered: Bool) -> SVGLinePlot {
        let figures: [(String, KeyPath<StanceCosines, Double>)] = [
            ("paraphrase vs original, same stance", \.sameStance), ("paraphrase vs original, opposite stance", \.oppositeStance),
            ("agree vs disagree originals", \.agreeVersusDisagree),
        ]
        var series: [PlotSeries] = []
        for (name, path) in figures {
            let means = grid.map { result.similarity(pretrainingSteps: $0, view: view.name, centered: centered, path).mean }
            let marks = grid.flatMap { steps in
                result.backbones(pretrainingSteps: steps).map {
                    PlotPoint(x: Double(steps), y: $0.similarity.view(view.name).cosines(centered: centered)[keyPath: path])
                }
            }
            series.append(PlotSeries(name: name, x: grid.map(Double.init), y: means, marks: marks))
        }
        return SVGLinePlot(title: "\(centered ? "Centered cosines" : "Cosines") of the \(view.label)", xLabel: "pretraining steps",
                           yLabel: "cosine (line: mean, marks: seeds)", series: series, xScale: .logarithmicSteps)
    }

    // MARK: - Report

    public func reportBundle(reportPath: String, command: String) throws -> ReportBundle? {
        let stem = URL(fileURLWithPath: reportPath).deletingPathExtension().lastPathComponent
        let c = configuration.base
        var figures: [ReportFigure] = []
        func figure(_ name: String, _ plot: SVGLinePlot, _ altText: String, into report: inout MarkdownReport) {
            let fileName = "\(stem)-\(name).svg"
            figures.append(ReportFigure(fileName: fileName, svg: plot.render()))
            report.image(path: fileName, altText: altText)
        }
        var report = MarkdownReport(title: "Persona sensitivity: how the headline depends on the backbone")
        report.paragraph("""
            `theorycheck persona` (docs/theory.md §6, paper Sec. 5.1) trains five reward models on a small \
            transformer pretrained on the agreeableness grammar. Its headline (EX-RM 1.00, IM-RM far below chance on \
            paraphrases) depends on how well the backbone has learned that paraphrases mean the same. This study \
            varies the two lengths that decide it: pretraining (\(grid.map(String.init).joined(separator: ", ")) Adam \
            steps of next-token loss) and reward training (\(epochGrid.map(String.init).joined(separator: ", ")) \
            epochs), over \(result.seeds.count) seeds, everything else as in `persona` (d = \(c.backbone.width), \(c.backbone.layers) \
            layers, \(c.backbone.heads) heads; Adam, learning rate \(NumberFormat.significant(c.learningRate, digits: 2)), \
            batch \(c.batchSize) pairs, \(result.stepsPerEpoch) steps per epoch, beta = \(NumberFormat.significant(c.beta, digits: 2)), \
            \(result.pairCounts["training_pairs"]!) training pairs from \(c.trainStatements) statements, \
            \(c.testStatements) held out). Per seed the backbone is pretrained once and snapshotted at each length; \
            per (seed, snapshot, reward model) one reward-training run is read at each epoch count (both tested \
            bit-identical to separate runs). Figures are mean ± sd [min, max] over seeds; ties count 1/2.
            """)
        report.command(command)

        report.heading("Readings")
        report.paragraph("Computed from the tables below. A cell is (pretraining steps, epochs); below / above chance means a mean over seeds under 0.45 / over 0.55 on both paraphrase sets.")
        report.bulletList(readings())

        report.heading("Paraphrase accuracy")
        for set in Self.paraphraseSets {
            report.heading("Accuracy on \(Self.setLabels[set]!), mean ± sd [min, max]", level: 3)
            report.table(accuracyTable(set: set))
            figure("\(set.replacingOccurrences(of: "_", with: "-"))-by-pretraining", pretrainingPlot(set: set, epoch: lastEpoch),
                   "accuracy on \(Self.setLabels[set]!) over pretraining steps after \(lastEpoch) epochs", into: &report)
        }
        report.paragraph("""
            The paper (models of 1B parameters and more): EX-RM 1.00 and IM-RM 0.022 / 0.019 on the paraphrases \
            (train / test prompts). `persona` (600 pretraining steps, 20 epochs) reproduced that picture; the cells \
            above show where it holds and where it does not.
            """)

        if result.rewardModels.contains(where: \.isImplicit) {
            report.heading("Which tokens the IM-RM's paraphrase ranking comes from", level: 3)
            report.paragraph("""
                The implicit reward is a sum over response tokens; here the paraphrase pairs are ranked by the term of \
                the response's first token alone, by the sum over the template's tokens ("my response would be" / "i \
                lean toward", the first token included) and by the sum over the answer's tokens (certainly / \
                absolutely against not really / nope). Accuracy, mean ± sd over seeds. In the data, \
                \(Self.templateOverlap()).
                """)
            report.table(splitTable())
        }

        report.heading("Representation similarity of the backbone")
        report.paragraph("""
            Before any reward training, each snapshot's cosines between a paraphrased response and an original one on \
            the same prompt (training statements), for the same stance (certainly / absolutely against yes / sure) \
            and the opposite stance, and the baseline between an agree and a disagree original. Views: the final hidden \
            state h at the answer's first token, at the last position (what the EX-RM reads; differs from the answer \
            only for "not really"), at the template's last token (the context whose next-token law gives the IM-RM the \
            answer's log-probability), and the unembedding rows of the answers' first tokens (the token identity the \
            IM-RM's reward is read through). A gap well above 0 means a paraphrase sits nearer the original that \
            means the same. Raw cosines of these vectors share a large common component once the model has learned \
            that an answer comes here (every answer row, and every context before an answer, then points the same \
            way); the centered cosines subtract, per prompt, the mean of the vectors of all twelve response \
            variants and compare what is left: the directions that tell responses apart.
            """)
        report.heading("Centered cosines, mean ± sd over seeds", level: 3)
        report.table(similarityTable(centered: true))
        figure("stance-gap-centered", gapPlot(centered: true), "centered stance gap of each view over pretraining steps",
               into: &report)
        for view in RepresentationSimilarity.views where view.name == "answer" || view.name == "unembedding" {
            figure("cosines-centered-\(view.name.replacingOccurrences(of: "_", with: "-"))", cosinePlot(view: view, centered: true),
                   "centered cosines of the \(view.label) over pretraining steps", into: &report)
        }
        report.heading("Raw cosines, mean ± sd over seeds", level: 3)
        report.table(similarityTable(centered: false))
        figure("stance-gap-raw", gapPlot(centered: false), "raw stance gap of each view over pretraining steps", into: &report)
        report.heading("Held-out next-token loss of the backbones", level: 3)
        report.table(backboneTable())

        report.heading("Over reward-training epochs")
        report.paragraph("""
            Accuracy at every evaluated epoch (the grid and a 1-2-5 schedule up to \(lastEpoch)), one curve per \
            pretraining length; the training loss is the mean over an epoch's batches, each taken before its update. \
            The fixed-representation IM-RM of `dynamics --steps 3000` flips its paraphrase accuracy to 1.0 late in \
            training (between steps 548 and 744, training loss 0.030 -> 0.022); the table after the longest \
            pretraining says whether these trained models do.
            """)
        if let steps = grid.last {
            report.heading("Paraphrase accuracy and training loss after \(steps) pretraining steps, mean ± sd", level: 3)
            report.table(longTrainingTable(pretrainingSteps: steps))
            figure("loss", lossPlot(pretrainingSteps: steps), "training loss over epochs after \(steps) pretraining steps", into: &report)
        }
        for type in result.rewardModels {
            figure("epochs-\(type.rawValue.replacingOccurrences(of: "_", with: "-"))", epochPlot(type, set: "paraphrase"),
                   "\(type.label) accuracy on paraphrases over epochs", into: &report)
        }

        report.heading("Original responses and training loss on the grid")
        report.heading("Accuracy on the original responses, train / test prompts, mean ± sd", level: 3)
        report.table(originalsTable())
        report.heading("Training loss of the epoch, mean ± sd", level: 3)
        report.table(lossTable())

        report.heading("Configuration")
        report.codeBlock(try JSONOutput.encode(configuration), language: "json")
        return ReportBundle(report: report, figures: figures)
    }
}
