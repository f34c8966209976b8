// swift-tools-version:6.0
import PackageDescription

// Layers, bottom to top:
//   CLAPACK (system LAPACKE + CBLAS) -> LinearAlgebra -> RewardDynamics (Assumption-1 reward models and
//   closed-form simulators) / MaxMargin / Autodiff -> TinyLM; Tasks (built-in data, no language model) /
//   InstanceIO (user files) -> ShiftAnalysis (Theorem 2 checks) / LanguageModelExperiments (TinyLM + Tasks) /
//   Reports -> the `theorycheck` CLI.
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
        .systemLibrary(
            name: "CLAPACK",
            path: "Sources/CLAPACK",
            providers: [.apt(["liblapacke-dev", "libopenblas-dev"])]
        ),
        .target(name: "LinearAlgebra", dependencies: ["CLAPACK"]),
        .target(name: "RewardDynamics", dependencies: ["LinearAlgebra"]),
        .target(name: "MaxMargin", dependencies: ["LinearAlgebra"]),
        .target(name: "Autodiff", dependencies: ["LinearAlgebra"]),
        .target(name: "TinyLM", dependencies: ["Autodiff", "LinearAlgebra"]),
        // InstanceIO uses Reports' FileSystemPath (what a path names on disk) for its one-line errors.
        .target(name: "InstanceIO", dependencies: ["RewardDynamics", "LinearAlgebra", "Reports"]),
        .target(name: "Tasks", dependencies: ["RewardDynamics", "LinearAlgebra"]),
        // Reward models trained for real on TinyLM backbones: Persona, the tiny-LM dynamics check, and the
        // Hamiltonian-cycle experiment (Tasks' graphs, sampled and verified).
        .target(name: "LanguageModelExperiments",
                dependencies: ["TinyLM", "Autodiff", "RewardDynamics", "Tasks", "LinearAlgebra", "CLAPACK"]),
        .target(name: "Reports", dependencies: []),
        // Theorem 2 (token-level shift): max-margin predictions, unseen-token checks, real-model analysis,
        // the alignment x overlap phase diagram.
        .target(name: "ShiftAnalysis", dependencies: ["RewardDynamics", "MaxMargin", "Tasks", "LinearAlgebra"]),
        // Shared by the test targets only: seeded property sweeps, tolerances, finite differences.
        .target(name: "TestSupport", dependencies: ["LinearAlgebra"]),
        .executableTarget(
            name: "theorycheck",
            dependencies: [
                "LinearAlgebra", "RewardDynamics", "MaxMargin", "Autodiff", "TinyLM", "InstanceIO", "Tasks",
                "Reports", "ShiftAnalysis", "LanguageModelExperiments",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "LinearAlgebraTests", dependencies: ["TestSupport", "LinearAlgebra"]),
        .testTarget(name: "RewardDynamicsTests", dependencies: ["TestSupport", "RewardDynamics", "LinearAlgebra", "Tasks"]),
        .testTarget(name: "MaxMarginTests", dependencies: ["TestSupport", "MaxMargin", "LinearAlgebra"]),
        .testTarget(name: "AutodiffTests", dependencies: ["TestSupport", "Autodiff", "LinearAlgebra"]),
        .testTarget(name: "TinyLMTests", dependencies: ["TestSupport", "TinyLM", "Autodiff", "LinearAlgebra"]),
        .testTarget(name: "InstanceIOTests", dependencies: ["TestSupport", "InstanceIO", "RewardDynamics", "LinearAlgebra", "Reports"]),
        .testTarget(name: "TasksTests", dependencies: ["TestSupport", "Tasks", "RewardDynamics", "LinearAlgebra"]),
        .testTarget(name: "ReportsTests", dependencies: ["TestSupport", "Reports"]),
        .testTarget(name: "ShiftAnalysisTests",
                    dependencies: ["TestSupport", "ShiftAnalysis", "RewardDynamics", "MaxMargin", "Tasks", "LinearAlgebra"]),
        .testTarget(name: "LanguageModelExperimentsTests",
                    dependencies: ["TestSupport", "LanguageModelExperiments", "TinyLM", "RewardDynamics", "Tasks",
                                   "LinearAlgebra"]),
        .testTarget(name: "CLITests", dependencies: ["TestSupport", "theorycheck", "InstanceIO", "Tasks", "RewardDynamics"]),
    ]
)
