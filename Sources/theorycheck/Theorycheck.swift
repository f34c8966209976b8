import ArgumentParser
import TheorycheckCore

/// The `theorycheck` command line: one type per subcommand, each in its own file.
@main
struct Theorycheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "theorycheck",
        abstract: "Check why implicit reward models lean on token identity and explicit ones on hidden representations.",
        discussion: """
            Closed-form gradient dynamics of explicit (EX-RM, a linear head on hidden states) and implicit \
            (IM-RM, beta * ln pi/pi_ref) reward models, checked against the same models trained step by step \
            (Razin, Lin, Yao, Arora, ICLR 2026). Start with `theorycheck dynamics --steps 500`.
            """,
        version: "theorycheck \(TheorycheckVersion.current)",
        subcommands: [
            DynamicsCommand.self, StepCommand.self, BenchCommand.self, MaxMarginCommand.self, Theorem2Command.self,
            AnalyzeCommand.self, AnalysisBenchCommand.self, SweepCommand.self, ExportCommand.self, TiltCommand.self,
            HamiltonianCommand.self, PersonaCommand.self, PersonaSensitivityCommand.self, MechanismCommand.self,
        ]
    )
}
