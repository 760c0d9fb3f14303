import Foundation
import RetortCheckpoint

/// Where a command's settings come from and where its run folder's `config.json` goes: a JSON file
/// of settings (`--config FILE`), or the `config.json` of a run folder to continue (`--resume DIR`).
struct RunFolder {
    /// The settings file's keys and values, if one was given.
    var file: [String: Any]?
    /// The run folder to continue (`--resume DIR`).
    var resumed: URL?

    /// Reads `--resume DIR` (its `config.json`) or `--config FILE`, whichever was given.
    init(_ arguments: Arguments) throws {
        if let resume = arguments.options["resume"] {
            resumed = URL(fileURLWithPath: resume)
            file = try Self.readSettings(resumed!.appendingPathComponent("config.json"))
        } else if let path = arguments.options["config"] {
            file = try Self.readSettings(URL(fileURLWithPath: path))
        }
    }

    /// A JSON object of settings.
    static func readSettings(_ url: URL) throws -> [String: Any] {
        guard let data = try? Data(contentsOf: url) else { throw CLIError.failed("cannot read \(url.path)") }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw CLIError.failed("\(url.path) is not a JSON object of settings")
        }
        return object
    }

    /// Creates `directory` and writes the resolved settings into its `config.json` (atomically).
    static func writeSettings(_ json: [String: Any], to directory: URL) throws {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            let reason = ((error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError ?? error as NSError).localizedDescription
            throw CLIError.failed("cannot create the run folder \(directory.path): \(reason) "
                                  + "(a file in the way, or a folder without write permission?); choose another --out DIR")
        }
        let data = try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys])
        do {
            try AtomicFile.write(data, to: directory.appendingPathComponent("config.json"))
        } catch {
            throw CLIError.failed("\(error)")
        }
    }
}
