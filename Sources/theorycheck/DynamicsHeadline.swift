import Experiments
import Foundation
import RewardDynamics
import Tasks

/// The headline run, `theorycheck dynamics --steps 500` on the built-in token-shift task (every check it
/// runs: both IM-RMs and EX-RMs in parameter space and in function space, the first-order predictions),
/// timed whole: wall seconds and the process's user and system CPU seconds over the run, `repeats` times.
/// The target of issue 13 is under 2 s wall on two cores.
struct DynamicsHeadline: Encodable, Sendable {
    static let steps = 500
    static let targetSeconds = 2.0

    let steps: Int
    let threads: Int
    let runs: Int
    /// Wall seconds of each run, in order.
    let wallSeconds: [Double]
    let userSeconds: [Double]
    let systemSeconds: [Double]
    let wallSecondsMedian: Double
    let userSecondsMedian: Double
    let systemSecondsMedian: Double
    let targetSeconds: Double

    static func measure(repeats: Int) throws -> DynamicsHeadline {
        let instance = try TokenShiftTask().make()
        let lr = DynamicsCommand.defaultLearningRate
        let experiment = DynamicsExperiment(
            steps: steps, explicitLearningRate: lr,
            implicitLearningRate: try defaultImplicitRate(lr: lr, beta: instance.beta))
        var wall: [Double] = []
        var user: [Double] = []
        var system: [Double] = []
        for _ in 0..<repeats {
            let (userBefore, systemBefore) = cpuSeconds()
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try experiment.run(on: instance)
            wall.append(Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
            let (userAfter, systemAfter) = cpuSeconds()
            user.append(userAfter - userBefore)
            system.append(systemAfter - systemBefore)
        }
        func median(_ values: [Double]) -> Double {
            let sorted = values.sorted()
            return sorted.count % 2 == 1 ? sorted[sorted.count / 2]
                : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
        }
        return DynamicsHeadline(
            steps: steps, threads: experiment.threads, runs: repeats, wallSeconds: wall, userSeconds: user,
            systemSeconds: system, wallSecondsMedian: median(wall), userSecondsMedian: median(user),
            systemSecondsMedian: median(system), targetSeconds: targetSeconds)
    }

    /// The process's user and system CPU seconds so far.
    private static func cpuSeconds() -> (user: Double, system: Double) {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) * 1e-6 }
        return (seconds(usage.ru_utime), seconds(usage.ru_stime))
    }

    /// One line of the bench table.
    var line: String {
        String(format: "dynamics_headline: `dynamics --steps %d` (built-in task, every check, %d threads): median of %d runs %.2f s wall, %.2f s user, %.2f s sys CPU (target: under %.0f s wall).",
               steps, threads, runs, wallSecondsMedian, userSecondsMedian, systemSecondsMedian, targetSeconds)
    }
}
