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
    static func readSettings(_ url: URL) throws(CLIError) -> [String: Any] {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw .failed("cannot read \(url.path): \((error as NSError).localizedDescription)")
        }
        return try settings(from: data, source: url.path)
    }

    /// The settings in `data`, the bytes of the file `source`: a JSON object of keys and values.
    static func settings(from data: Data, source: String) throws(CLIError) -> [String: Any] {
        let value: Any
        do {
            value = try JSONSerialization.jsonObject(with: data, options: .fragmentsAllowed)
        } catch {
            let nsError = error as NSError
            let reason = (nsError.userInfo[NSDebugDescriptionErrorKey] as? String) ?? nsError.localizedDescription
            throw .failed("\(source) is not valid JSON (\(reason.trimmingCharacters(in: CharacterSet(charactersIn: ".")))); "
                          + "a settings file is one object such as {\"epochs\": 3}")
        }
        guard let object = value as? [String: Any] else {
            throw .failed("\(source) is not a JSON object of settings; a settings file is one object such as {\"epochs\": 3}")
        }
        return object
    }

    /// The file of a run folder that names the dataset's classes, one per line in label order.
    static let classNamesFile = "classes.txt"

    /// Writes `classes.txt` (atomically): one class per line in label order, followed by a tab and its
    /// description where there is one (Tiny-ImageNet's `words.txt`).
    static func writeClassNames(_ names: [String], descriptions: [String]?, to directory: URL) throws {
        let lines = names.enumerated().map { index, name in
            descriptions.map { name + "\t" + $0[index] } ?? name
        }
        try AtomicFile.write(lines.joined(separator: "\n") + "\n", to: directory.appendingPathComponent(classNamesFile))
    }

    /// The class names `classes.txt` of the run folder `directory` lists (the first column), or nil.
    static func classNames(in directory: URL) -> [String]? {
        guard let text = try? String(contentsOf: directory.appendingPathComponent(classNamesFile), encoding: .utf8) else { return nil }
        return text.split(separator: "\n").map { String($0.split(separator: "\t", maxSplits: 1).first ?? "") }
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
