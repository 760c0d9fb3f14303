/// A parsed command line: a subcommand, `--name value` options and `--flag` switches.
///
/// Options are declared per command, so a misspelled or unknown one is an error that names it.
struct Arguments: Equatable {
    var command: String?
    var options: [String: String] = [:]
    var flags: Set<String> = []
    var positionals: [String] = []

    /// The options and flags one command accepts.
    struct Spec {
        var options: Set<String> = []
        var flags: Set<String> = []
        /// Options that may be given several times; their values are joined with commas.
        var repeatable: Set<String> = []

        /// The spec of a command whose settings are `keys` (as in its JSON file): each is an option
        /// taking a value, except the switches among `flags`; `extra` are options outside the
        /// settings (`config`, `resume`).
        static func settings(_ keys: [String], flags: Set<String> = ["nesterov"], extra: Set<String>,
                             repeatable: Set<String> = []) -> Spec {
            Spec(options: Set(keys).subtracting(flags).union(extra), flags: flags, repeatable: repeatable)
        }
    }

    /// Parses `arguments` (without the program name). The first word not starting with `-` is the
    /// command; `specs` says which options and flags each command takes. `global` flags
    /// (`--help`, `--version`) are accepted anywhere.
    static func parse(_ arguments: [String], specs: [String: Spec], global: Set<String>) throws(CLIError) -> Arguments {
        var result = Arguments()
        var index = 0
        while index < arguments.count {
            let word = arguments[index]
            index += 1
            if word.hasPrefix("-"), word != "-" {
                var name = String(word.drop(while: { $0 == "-" }))
                var inlineValue: String?
                if let equals = name.firstIndex(of: "=") {
                    inlineValue = String(name[name.index(after: equals)...])
                    name = String(name[..<equals])
                }
                if name == "h" { name = "help" }
                if global.contains(name) {
                    guard inlineValue == nil else { throw .usage("'--\(name)' takes no value") }
                    result.flags.insert(name)
                    continue
                }
                guard let command = result.command, let spec = specs[command] else {
                    throw .usage("unknown option '\(word)' before a command")
                }
                if spec.flags.contains(name) {
                    guard inlineValue == nil else { throw .usage("'--\(name)' takes no value") }
                    result.flags.insert(name)
                } else if spec.options.contains(name) {
                    let value: String
                    if let inlineValue {
                        value = inlineValue
                    } else {
                        guard index < arguments.count else { throw .usage("'--\(name)' needs a value") }
                        value = arguments[index]
                        index += 1
                    }
                    if let existing = result.options[name] {
                        guard spec.repeatable.contains(name) else { throw .usage("'--\(name)' is given twice") }
                        result.options[name] = existing + "," + value
                    } else {
                        result.options[name] = value
                    }
                } else {
                    let known = (spec.options.map { "--\($0) <value>" } + spec.flags.map { "--\($0)" }).sorted()
                    throw .usage("unknown option '\(word)' for '\(command)'" + (known.isEmpty ? "" : "; it takes \(known.joined(separator: ", "))"))
                }
            } else if result.command == nil {
                guard specs[word] != nil else {
                    throw .usage("unknown command '\(word)'; commands: \(specs.keys.sorted().joined(separator: ", "))")
                }
                result.command = word
            } else {
                result.positionals.append(word)
            }
        }
        return result
    }

    /// The value of an integer option, or `defaultValue` when absent.
    func integer(_ name: String, default defaultValue: Int, range: ClosedRange<Int>) throws(CLIError) -> Int {
        guard let text = options[name] else { return defaultValue }
        guard let value = Int(text), range.contains(value) else {
            throw .usage("--\(name) must be an integer in \(range.lowerBound)...\(range.upperBound), got '\(text)'")
        }
        return value
    }
}

/// An error the CLI reports to the user with a non-zero exit status.
enum CLIError: Error, Equatable, CustomStringConvertible {
    /// The command line is wrong (exit 2).
    case usage(String)
    /// The command failed (exit 1).
    case failed(String)

    var description: String {
        switch self {
        case .usage(let message): return "\(message). Run `retort --help` for usage."
        case .failed(let message): return message
        }
    }

    var exitCode: Int32 {
        switch self {
        case .usage: return 2
        case .failed: return 1
        }
    }
}
