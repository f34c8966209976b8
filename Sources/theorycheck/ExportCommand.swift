import ArgumentParser
import Foundation
import InstanceIO
import RewardDynamics
import Tasks

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a built-in task as an instance file (JSON or safetensors), to feed --instance.",
        discussion: """
            `--task token-shift` is the multi-token task of `dynamics` and `sweep` (knobs --alignment, \
            --overlap); `--task single-token` is Theorem 2's task of `theorem2` (knob --alignment). The file \
            has the layout of a user's own export (see the README), so `analyze`, `maxmargin` and \
            `theorem2 --instance` read it like a real model's.
            """)

    enum Task: String, ExpressibleByArgument, CaseIterable {
        case tokenShift = "token-shift"
        case singleToken = "single-token"
    }

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case json
        case safetensors
    }

    @Option(help: "Which built-in task: token-shift or single-token.")
    var task: Task = .tokenShift

    @Option(help: "File format: json or safetensors (F64 tensors).")
    var format: Format = .json

    @Option(help: "Path of the file to write.")
    var output: String

    @Option(help: "Seed of the task.")
    var seed: UInt64 = 0

    @Option(help: "Representation alignment of the unseen / paraphrase tokens, in [0, 1] (task default if omitted).")
    var alignment: Double?

    @Option(help: "Token overlap of the paraphrases, in [0, 1] (token-shift only; default 0).")
    var overlap: Double?

    func validate() throws {
        try OutputTarget.check(output, option: "output")
        if let alignment, !(0...1).contains(alignment) {
            throw ValidationError("--alignment must lie in [0, 1], got \(alignment)")
        }
        if let overlap {
            guard (0...1).contains(overlap) else { throw ValidationError("--overlap must lie in [0, 1], got \(overlap)") }
            guard task == .tokenShift else { throw ValidationError("--overlap applies to --task token-shift only") }
        }
    }

    func run() throws {
        let instance: Instance
        do {
            switch task {
            case .tokenShift:
                var shift = TokenShiftTask.standard
                shift.seed = seed
                if let alignment { shift.alignment = alignment }
                if let overlap { shift.overlap = overlap }
                instance = try shift.make()
            case .singleToken:
                var single = SingleTokenShiftTask.standard
                single.seed = seed
                if let alignment { single.alignment = alignment }
                instance = try single.make()
            }
        } catch {
            throw CLIError("built-in task: \(error)")
        }
        let data: Data
        switch format {
        case .json:
            data = InstanceJSON.encode(instance)
        case .safetensors:
            do {
                data = try InstanceSafetensors.encode(instance)
            } catch {
                throw CLIError("cannot encode safetensors: \(error)")
            }
        }
        try writeAtomically(data, to: output)
    }
}
