import Foundation
import Reports

/// Small but realistic figures, shared by the tests and written out for a visual check when the
/// environment variable THEORYCHECK_EXAMPLE_FIGURES names a folder.
enum ExampleFigures {
    static let steps: [Double] = [0, 1, 2, 5, 10, 20, 50, 100, 200, 500]

    static var linePlot: SVGLinePlot {
        let exAccuracy = [0.5, 0.55, 0.61, 0.72, 0.83, 0.9, 0.96, 0.99, 1.0, 1.0]
        let imAccuracy = [0.5, 0.49, 0.47, 0.41, 0.33, 0.2, 0.08, 0.03, 0.022, 0.019]
        let meanPooled = [0.5, 0.52, 0.57, 0.66, 0.78, .nan, 0.93, 0.97, 0.99, 1.0]
        return SVGLinePlot(
            title: "Paraphrased responses: accuracy <during> training & after",
            xLabel: "step (log scale; 0 at the break)", yLabel: "accuracy",
            series: [
                PlotSeries(name: "EX-RM", x: steps, y: exAccuracy),
                PlotSeries(name: "IM-RM", x: steps, y: imAccuracy),
                PlotSeries(name: "EX-RM, mean-pooled (gap at step 20)", x: steps, y: meanPooled),
                PlotSeries(name: "empty series", points: []),
            ],
            xScale: .logarithmicSteps, yRange: 0...1,
            referenceLines: [ReferenceLine(y: 0.5, label: "chance")])
    }

    static var scatterPlot: SVGScatterPlot {
        var first: [PlotPoint] = []
        var second: [PlotPoint] = []
        for i in 0..<40 {
            let predicted = sin(Double(i) * 0.7) * 0.04
            first.append(PlotPoint(x: predicted, y: predicted * 1.02 + 0.001 * cos(Double(i))))
            let other = cos(Double(i) * 1.3) * 0.03
            second.append(PlotPoint(x: other, y: other * 0.9 - 0.002))
        }
        first.append(PlotPoint(x: .nan, y: 0.01))
        return SVGScatterPlot(
            title: "One step: Eq. 5 prediction vs. exact change", xLabel: "predicted change in reward",
            yLabel: "measured change in reward",
            series: [PlotSeries(name: "IM-RM", points: first), PlotSeries(name: "EX-RM", points: second)])
    }

    static var heatMap: SVGHeatMap {
        SVGHeatMap(
            title: "Accuracy by reward model and evaluation set",
            rowLabels: ["EX-RM", "IM-RM", "IM-RM (no reference)"],
            columnLabels: ["original", "paraphrase, train prompts", "paraphrase, test prompts", "missing"],
            values: [[1.0, 1.0, 0.975, .nan], [1.0, 0.022, 0.019, .nan], [0.99, 0.04, 0.6, .nan]])
    }
}
