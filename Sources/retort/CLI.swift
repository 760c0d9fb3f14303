import Foundation
import Retort
import RetortCompute

/// The `retort` command line: parses arguments, runs one command, maps errors to exit codes. The
/// commands declare themselves (``RegisteredCommand``); `--help` is built from their declarations.
enum CLI {
    /// Every command, as `--help` lists them.
    static let commands: [any RegisteredCommand.Type] = Registrations.registeredCommand.sorted { ($0.order, $0.name) < ($1.order, $1.name) }

    /// The options and flags of each command, by name.
    static var specs: [String: Arguments.Spec] { Dictionary(uniqueKeysWithValues: commands.map { ($0.name, $0.spec) }) }

    /// The `--help` text.
    static var usage: String {
        var lines = ["retort — GPU training and knowledge distillation on Vulkan compute", "", "usage: retort <command> [options]", "",
                     "commands:"]
        for command in commands {
            let summary = command.summary.split(separator: "\n", omittingEmptySubsequences: false)
            lines.append("  " + command.name.padding(toLength: 22, withPad: " ", startingAt: 0) + (summary.first ?? ""))
            lines += summary.dropFirst().map { String(repeating: " ", count: 24) + $0 }
            lines += command.usage.split(separator: "\n").map { String(repeating: " ", count: 26) + $0 }
        }
        lines += ["", "options:", "  -h, --help            show this help", "  --version             print the version", "", "environment:",
                  "  RETORT_DEVICE=<index|name>   use this device instead of the automatic choice",
                  "                               (discrete > integrated > virtual > CPU)",
                  "  RETORT_VALIDATION=1          enable the Khronos validation layer",
                  "  RETORT_MEMORY_LIMIT=<size>   hold at most this much device memory (e.g. 512M, 4G)",
                  "  RETORT_KERNELS=gpu|cpu|auto  force the GPU or the lavapipe-tuned kernel variants (devices --verbose)",
                  "", "data-parallel: mpirun -np N retort train|distill|selfdistill … (the README's multi-GPU section)"]
        return lines.joined(separator: "\n")
    }

    static func main(arguments: [String]) -> Int32 {
        let launch: Launch
        do {
            launch = try Launch.current()
        } catch {
            report("\(error)")
            return 1
        }
        let code = run(arguments, launch: launch)
        guard let group = launch.group else { return code }
        // A failed rank ends the whole job (the others may be waiting in a collective).
        if code != 0, group.size > 1 { group.abort(code: code) }
        group.finalize()
        return code
    }

    static func run(_ arguments: [String], launch: Launch) -> Int32 {
        do {
            let parsed = try Arguments.parse(arguments, specs: specs, global: ["help", "version"])
            if parsed.flags.contains("version") {
                print("retort \(RetortVersion.string)")
                return 0
            }
            if parsed.flags.contains("help") {
                print(usage)
                return 0
            }
            guard let name = parsed.command else {
                FileHandle.standardError.write(Data((usage + "\n").utf8))
                return 2
            }
            guard let command = commands.first(where: { $0.name == name }) else { throw CLIError.usage("unknown command '\(name)'") }
            if let extra = parsed.positionals.first, !command.takesPositionals {
                throw CLIError.usage("unexpected argument '\(extra)' for '\(name)'")
            }
            try command.run(parsed, launch: launch)
            return 0
        } catch let error as CLIError {
            report(error.description, launch: launch)
            return error.exitCode
        } catch {
            report("\(error)", launch: launch)
            return 1
        }
    }

    /// Writes `error: message` to standard error; under mpirun with several ranks, naming the rank
    /// (every rank reports its own error, and one rank may fail alone).
    static func report(_ message: String, launch: Launch? = nil) {
        let rank = launch?.group.flatMap { $0.size > 1 ? "rank \($0.rank)/\($0.size): " : nil } ?? ""
        FileHandle.standardError.write(Data("error: \(rank)\(message)\n".utf8))
    }
}
