/// A subcommand of `retort`: its name, where `--help` lists it, what it does, its options, and how
/// it runs.
///
/// Conform in the command's own file (`enum TrainCommand: RegisteredCommand`): the build scans this
/// target's sources for conformances to `Registered…` protocols and lists them, so a new command is
/// one new file; ``CLI`` parses, dispatches and builds `--help` from the list.
protocol RegisteredCommand {
    /// The word on the command line (`train`).
    static var name: String { get }
    /// Where `--help` lists the command; ties by name.
    static var order: Int { get }
    /// What the command does, one or more lines for `--help`.
    static var summary: String { get }
    /// The options, one or more lines for `--help`.
    static var usage: String { get }
    /// The options and flags the command accepts.
    static var spec: Arguments.Spec { get }
    /// Whether the command takes words besides its options (`retort report DIR…`, `retort inspect
    /// calibration`); the others refuse them.
    static var takesPositionals: Bool { get }
    /// Runs the command with the parsed command line.
    static func run(_ arguments: Arguments, launch: Launch) throws
}

extension RegisteredCommand {
    static var takesPositionals: Bool { false }
}
