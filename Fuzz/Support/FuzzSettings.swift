import Foundation

/// Resolves settings the way each command that takes a settings file does. A command may refuse
/// them with a `CLIError` (a message for the user); any other error, or a trap, is a bug. A
/// configuration that resolves must survive its run folder's `config.json`: written as the run
/// writes it, read back as `--resume` reads it, it resolves to the same configuration.
enum FuzzSettings {
    /// The commands that read a settings file.
    static let commands = ["train", "distill", "selfdistill", "prune", "online", "chain", "sweep-teachers"]

    static func resolve(_ command: String, file: [String: Any]?, flags: [String: String], switches: Set<String>) {
        do {
            switch command {
            case "train": try roundTrip(TrainConfiguration.self, file: file, flags: flags, switches: switches)
            case "distill": try roundTrip(DistillConfiguration.self, file: file, flags: flags, switches: switches)
            case "selfdistill": try roundTrip(SelfDistillConfiguration.self, file: file, flags: flags, switches: switches)
            case "prune": try roundTrip(PruneConfiguration.self, file: file, flags: flags, switches: switches)
            case "online": try roundTrip(OnlineConfiguration.self, file: file, flags: flags, switches: switches)
            case "chain": _ = try ChainConfiguration.resolve(file: file, flags: flags, switches: switches)
            case "sweep-teachers":
                // The teacher run's config.json is read with the same reader: give it the same settings.
                _ = try SweepConfiguration.resolve(file: file, flags: flags, switches: switches) { _ in file ?? [:] }
            default: return
            }
        } catch let error as CLIError {
            precondition(!error.description.isEmpty, "\(command): an empty error message")
        } catch {
            preconditionFailure("\(command): an error that is not a CLIError: \(error)")
        }
    }

    private static func roundTrip<Configuration: CommandConfiguration>(
        _ type: Configuration.Type, file: [String: Any]?, flags: [String: String], switches: Set<String>) throws {
        let configuration = try Configuration.resolve(file: file, flags: flags, switches: switches)
        let text = try JSONSerialization.data(withJSONObject: configuration.json, options: [.prettyPrinted, .sortedKeys])
        guard let saved = try JSONSerialization.jsonObject(with: text) as? [String: Any] else {
            preconditionFailure("\(Configuration.command): config.json is not an object")
        }
        let resumed: Configuration
        do {
            resumed = try Configuration.resolve(file: saved, flags: [:], switches: [])
        } catch {
            preconditionFailure("\(Configuration.command): its own config.json is refused: \(error)")
        }
        precondition(resumed == configuration, "\(Configuration.command): config.json does not give back the configuration")
    }
}
