import Foundation
import RetortReport

/// Run folders are never clobbered: a command that writes a run folder claims it first, and a folder
/// that already holds a run (its settings, checkpoints, metrics or stage folders) is refused unless
/// the user says what to do with it: continue it (`--resume DIR`), start it over (`--force`, which
/// removes that run's files and nothing else), or write somewhere else (`--out`).
extension RunFolder {
    /// Files a run writes into its folder, besides its checkpoints.
    static let runFileNames: Set<String> = ["config.json", "metrics.jsonl", "summary.md", "modes.csv", "frozen.json", "stage.json",
                                            "chain.json", "sweep.json", "sweep.md", "pruning.json", "pruning.md",
                                            "pruned.masks.safetensors", "best-test.json", "report.html", "run.json", "classes.txt"]

    /// Whether `name` is a file a run writes: its settings, metrics and summaries; a checkpoint
    /// (`best`, `last`, `epoch-<n>`, an online network's `<name>.best`/`<name>.last`, each with its
    /// `.optimizer`, `.masks` and `.objective` files); a TensorBoard event file (`events.out.tfevents.*`, at the
    /// run's root and in an online run's network folders); or the temporary file of an atomic write of one of
    /// them that was cut short (`.<name>.<UUID>.tmp`). Other files (a user's own weights, predictions) are not.
    static func isRunFile(_ name: String) -> Bool {
        if runFileNames.contains(name) || TensorBoardWriter.isEventFile(name) { return true }
        if name.hasPrefix("."), name.hasSuffix(".tmp") {
            return isRunFile(String(name.dropFirst().dropLast(".tmp".count).split(separator: ".").dropLast().joined(separator: ".")))
        }
        guard name.hasSuffix(".safetensors") else { return false }
        var stem = String(name.dropLast(".safetensors".count))
        for sidecar in [".optimizer", ".masks", ".objective"] where stem.hasSuffix(sidecar) { stem.removeLast(sidecar.count) }
        let last = stem.split(separator: ".").last.map(String.init) ?? stem
        return ["best", "last"].contains(last) || (stem.hasPrefix("epoch-") && Int(stem.dropFirst("epoch-".count)) != nil)
    }

    /// The files of a previous run in `directory`: its run files, and those of its stage folders
    /// one level down (chain, sweep-teachers and prune write one run per subfolder). Symbolic links
    /// are not followed. Empty when the folder is missing, empty, or holds only other files.
    static func previousRun(in directory: URL, stages: Bool = true) -> [URL] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).sorted()
        return names.flatMap { name -> [URL] in
            let url = directory.appendingPathComponent(name)
            switch (try? FileManager.default.attributesOfItem(atPath: url.path))?[.type] as? FileAttributeType {
            case .typeDirectory?: return stages ? previousRun(in: url, stages: false) : []
            case .typeRegular?: return isRunFile(name) ? [url] : []
            default: return []
            }
        }
    }

    /// The run folder this invocation writes: the folder of `--resume DIR`, or `out`, claimed.
    ///
    /// `out` may be missing, empty, or hold files that are not a run's. A folder holding a previous
    /// run is refused, naming `--resume DIR` and `--force`, before anything is written; with
    /// `--force` that run's files (``previousRun(in:)``) are removed first and the folder's other
    /// files are kept. Commands that continue their own folder when run again (`chain`,
    /// `sweep-teachers`) pass the settings they are about to save as `continuing`: the folder is
    /// theirs when its `config.json` holds exactly those settings.
    /// - Parameters:
    ///   - inputs: files the command reads (teacher weights): `--force` never removes one of them.
    ///   - resumable: whether the command takes `--resume DIR`; the message offers it only then.
    func claim(_ out: String, for arguments: Arguments, inputs: [String] = [], continuing settings: [String: Any]? = nil,
               resumable: Bool = true) throws -> URL {
        let force = arguments.flags.contains("force")
        if let resumed {
            if force { throw CLIError.usage("--force starts a run over and --resume continues one; give one of them") }
            return resumed
        }
        let directory = URL(fileURLWithPath: out)
        let command = arguments.command ?? "train"
        if let settings, !force, Self.holdsSettings(settings, in: directory) { return directory }
        let previous = try Self.checkedPreviousRun(in: directory)
        guard !previous.isEmpty else { return directory }
        let listed = Self.list(previous, in: directory)
        guard force else {
            var ways = resumable ? ["continue it with `retort \(command) --resume \(out)`"] : []
            if !resumable && settings != nil { ways.append("continue it by running the same command with the same settings") }
            ways += ["start it over with --force (removes \(previous.count == 1 ? "that file" : "those \(previous.count) files"))",
                     "or choose another folder with --out DIR"]
            let advice = ways.joined(separator: ", ")
            throw CLIError.failed("\(out) already holds a run (\(listed)); nothing was written. " + advice.prefix(1).uppercased()
                                  + advice.dropFirst() + ".")
        }
        let removed = Set(previous.map(\.standardizedFileURL.path))
        if let input = inputs.first(where: { removed.contains(URL(fileURLWithPath: $0).standardizedFileURL.path) }) {
            throw CLIError.failed("--force would remove \(input), which this run reads; copy it elsewhere or choose another --out DIR")
        }
        try Self.remove(previous, under: directory)
        Console.say("--force: removed the previous run in \(out) (\(listed))")
        return directory
    }

    /// The previous run's files, or an error when `directory` cannot hold a run (it, or a folder
    /// above it, is a file).
    private static func checkedPreviousRun(in directory: URL) throws -> [URL] {
        var path = directory.standardizedFileURL
        while path.path != "/" {
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: path.path, isDirectory: &isFolder) {
                guard isFolder.boolValue else {
                    throw CLIError.failed("--out \(directory.path): \(path.path) is a file, not a folder; "
                                          + "give a new or empty folder for the run")
                }
                break
            }
            path.deleteLastPathComponent()
        }
        return previousRun(in: directory)
    }

    /// Whether `directory/config.json` holds exactly `settings` (compared as the JSON they are saved as).
    private static func holdsSettings(_ settings: [String: Any], in directory: URL) -> Bool {
        func canonical(_ object: Any) -> Data? {
            guard JSONSerialization.isValidJSONObject(object),
                  let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]),
                  let parsed = try? JSONSerialization.jsonObject(with: data) else { return nil }
            return try? JSONSerialization.data(withJSONObject: parsed, options: [.sortedKeys])
        }
        guard let saved = try? Data(contentsOf: directory.appendingPathComponent("config.json")),
              let object = try? JSONSerialization.jsonObject(with: saved), let new = canonical(settings) else { return false }
        return canonical(object) == new
    }

    /// At most three of `files`, relative to `directory`, for a message: settings, metrics and the
    /// last checkpoint first.
    private static func list(_ files: [URL], in directory: URL) -> String {
        let base = directory.standardizedFileURL.path + "/"
        let first = ["config.json", "metrics.jsonl", "last.safetensors"]
        let names = files.map { $0.standardizedFileURL.path.replacingOccurrences(of: base, with: "") }
            .sorted { (first.firstIndex(of: $0) ?? first.count, $0) < (first.firstIndex(of: $1) ?? first.count, $1) }
        return names.prefix(3).joined(separator: ", ") + (names.count > 3 ? " and \(names.count - 3) more" : "")
    }

    /// Removes `files`, then every folder under `directory` they leave empty.
    private static func remove(_ files: [URL], under directory: URL) throws {
        for file in files { try FileManager.default.removeItem(at: file) }
        let root = directory.standardizedFileURL.path
        var folders = Set(files.map { $0.deletingLastPathComponent().standardizedFileURL.path })
        while let folder = folders.max(by: { $0.count < $1.count }), folder.count > root.count, folder.hasPrefix(root + "/") {
            folders.remove(folder)
            guard ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? ["?"]).isEmpty else { continue }
            try FileManager.default.removeItem(atPath: folder)
            folders.insert(URL(fileURLWithPath: folder).deletingLastPathComponent().standardizedFileURL.path)
        }
    }
}
