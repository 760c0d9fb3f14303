import Foundation

/// One picture `retort inspect` draws from saved weights (`inspect calibration`, `inspect
/// penultimate`, `inspect flatness`): conform in the inspection's own file (`Inspect<Name>.swift`);
/// the build lists the conformances.
protocol RegisteredInspection {
    /// The word after `inspect`.
    static var name: String { get }
    /// What it draws, one line for `--help`.
    static var summary: String { get }
    /// Its options, one or more lines for `--help`.
    static var usage: String { get }
    /// The options it accepts (a subset of ``InspectCommand/spec``'s).
    static var options: Set<String> { get }
    /// Draws the picture (SVG) from the parsed command line.
    static func run(_ arguments: Arguments) throws
}

/// `retort inspect <picture> …`: the seed papers' diagnostic pictures of saved weights, as SVG.
enum InspectCommand: RegisteredCommand {
    static let name = "inspect"
    static let order = 96
    static let takesPositionals = true
    static var inspections: [any RegisteredInspection.Type] { Registrations.registeredInspection.sorted { $0.name < $1.name } }
    static var summary: String {
        "diagnostic pictures (SVG) of saved weights: " + inspections.map { $0.name }.joined(separator: ", ")
    }
    static var usage: String {
        inspections.map { "\($0.name): \($0.summary)\n  \($0.usage.split(separator: "\n").joined(separator: "\n  "))" }
            .joined(separator: "\n")
    }
    static var spec: Arguments.Spec { Arguments.Spec(options: inspections.reduce(into: Set(["out"])) { $0.formUnion($1.options) }) }

    static func run(_ arguments: Arguments, launch: Launch) throws {
        try launch.requireSingleProcess(name)
        let names = inspections.map { $0.name }.joined(separator: ", ")
        guard let word = arguments.positionals.first else { throw CLIError.usage("inspect needs a picture to draw: one of \(names)") }
        guard let inspection = inspections.first(where: { $0.name == word }) else {
            throw CLIError.usage("inspect has no picture '\(word)'; choose one of \(names)")
        }
        if let extra = arguments.positionals.dropFirst().first { throw CLIError.usage("unexpected argument '\(extra)' for 'inspect \(word)'") }
        if let foreign = arguments.options.keys.sorted().first(where: { !inspection.options.contains($0) && $0 != "out" }) {
            throw CLIError.usage("inspect \(word) takes no --\(foreign); its options: \(inspection.usage)")
        }
        try inspection.run(arguments)
    }
}
