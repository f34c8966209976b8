// swift-tools-version:6.0
import PackageDescription

// Layers, bottom to top:
//   TheorycheckCore (the shared vocabulary: reward-model kinds, step schedules, configuration errors,
//   the parallel map) and CLAPACK (system LAPACKE + CBLAS) -> LinearAlgebra -> RewardDynamics
//   (Assumption-1 reward models and closed-form simulators) / MaxMargin / Autodiff -> TinyLM; Tasks
//   (built-in data, no language model) / InstanceIO (user files) -> ShiftAnalysis (Theorem 2 analysis) ->
//   Experiments (every experiment: configuration -> experiment -> result) -> ExperimentReports (every
//   result as terminal text, JSON and a markdown report, on the Reports primitives) -> the thin
//   `theorycheck` CLI.
let package = Package(
    name: "theorycheck",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "theorycheck", targets: ["theorycheck"]),
        .library(name: "RewardDynamics", targets: ["RewardDynamics"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .target(name: "TheorycheckCore", dependencies: []),
        .systemLibrary(
            name: "CLAPACK",
            path: "Sources/CLAPACK",
            providers: [.apt(["liblapacke-dev", "libopenblas-dev"])]
        ),
        // The vectorized exp of the IM-RM read-outs' row passes (AVX-512 / AVX2 / baseline, same bits).
        .target(name: "CFastExp", exclude: ["fastexp_body.inc"]),
        // The triangular products of a causal attention block (AVX-512 / AVX2 / baseline, same bits).
        .target(name: "CAttentionBlocks", exclude: ["attention_blocks_body.inc"]),
        .target(name: "LinearAlgebra", dependencies: ["CLAPACK", "CFastExp", "CAttentionBlocks"]),
        .target(name: "RewardDynamics", dependencies: ["LinearAlgebra", "TheorycheckCore"]),
        .target(name: "MaxMargin", dependencies: ["LinearAlgebra"]),
        .target(name: "Autodiff", dependencies: ["LinearAlgebra"]),
        .target(name: "TinyLM", dependencies: ["Autodiff", "LinearAlgebra", "TheorycheckCore"],
                resources: [.copy("Resources/agreeableness-grammar.json")]),
        // InstanceIO uses Reports' FileSystemPath (what a path names on disk) for its one-line errors.
        .target(name: "InstanceIO", dependencies: ["RewardDynamics", "LinearAlgebra", "Reports"]),
        .target(name: "Tasks", dependencies: ["RewardDynamics", "LinearAlgebra", "TheorycheckCore"]),
        // Theorem 2 (token-level shift) analysis: max-margin predictions, unseen-token checks, the
        // real-model analysis.
        .target(name: "ShiftAnalysis", dependencies: ["RewardDynamics", "MaxMargin", "Tasks", "LinearAlgebra", "TheorycheckCore"]),
        // Every experiment, configuration -> experiment -> result: the fixed-representation dynamics, the
        // Theorem 2 run and the phase diagram, and the reward models trained on TinyLM backbones (Persona,
        // the tiny-LM dynamics check, the Hamiltonian-cycle experiment). BLAS threading is set here.
        .target(name: "Experiments",
                dependencies: ["TheorycheckCore", "TinyLM", "Autodiff", "RewardDynamics", "Tasks", "ShiftAnalysis",
                               "MaxMargin", "LinearAlgebra", "CLAPACK"]),
        .target(name: "Reports", dependencies: []),
        // Every result as terminal text, JSON and a markdown report with figures (one presentation shape).
        .target(name: "ExperimentReports",
                dependencies: ["Reports", "Experiments", "TheorycheckCore", "RewardDynamics", "ShiftAnalysis",
                               "MaxMargin", "Tasks", "TinyLM", "LinearAlgebra"]),
        // Shared by the test targets only: seeded property sweeps, tolerances, finite differences, fixtures.
        .target(name: "TestSupport", dependencies: ["LinearAlgebra", "RewardDynamics", "Tasks", "TheorycheckCore"]),
        .executableTarget(
            name: "theorycheck",
            dependencies: [
                "TheorycheckCore", "LinearAlgebra", "RewardDynamics", "MaxMargin", "Autodiff", "TinyLM", "InstanceIO",
                "Tasks", "Reports", "ShiftAnalysis", "Experiments", "ExperimentReports",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "TheorycheckCoreTests", dependencies: ["TheorycheckCore"]),
        .testTarget(name: "LinearAlgebraTests", dependencies: ["TestSupport", "LinearAlgebra"]),
        .testTarget(name: "RewardDynamicsTests", dependencies: ["TestSupport", "TheorycheckCore", "RewardDynamics", "LinearAlgebra", "Tasks"]),
        .testTarget(name: "MaxMarginTests", dependencies: ["TestSupport", "MaxMargin", "LinearAlgebra"]),
        .testTarget(name: "AutodiffTests", dependencies: ["TestSupport", "Autodiff", "LinearAlgebra"]),
        .testTarget(name: "TinyLMTests", dependencies: ["TestSupport", "TheorycheckCore", "TinyLM", "Autodiff", "LinearAlgebra"]),
        .testTarget(name: "InstanceIOTests", dependencies: ["TestSupport", "InstanceIO", "RewardDynamics", "LinearAlgebra", "Reports"]),
        .testTarget(name: "TasksTests", dependencies: ["TestSupport", "TheorycheckCore", "Tasks", "RewardDynamics", "LinearAlgebra"]),
        .testTarget(name: "ReportsTests", dependencies: ["TestSupport", "Reports"]),
        .testTarget(name: "ShiftAnalysisTests",
                    dependencies: ["TestSupport", "ShiftAnalysis", "RewardDynamics", "MaxMargin", "Tasks", "LinearAlgebra"]),
        .testTarget(name: "ExperimentsTests",
                    dependencies: ["TestSupport", "Experiments", "TheorycheckCore", "TinyLM", "RewardDynamics", "Tasks",
                                   "ShiftAnalysis", "MaxMargin", "LinearAlgebra"]),
        .testTarget(name: "ExperimentReportsTests",
                    dependencies: ["TestSupport", "ExperimentReports", "Experiments", "Reports", "RewardDynamics", "TheorycheckCore",
                                   "Tasks", "ShiftAnalysis", "LinearAlgebra"]),
        .testTarget(name: "CLITests", dependencies: ["TestSupport", "theorycheck", "InstanceIO", "Tasks", "RewardDynamics"]),
    ]
)
