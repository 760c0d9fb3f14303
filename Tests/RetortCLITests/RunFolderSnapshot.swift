import Foundation
import RetortHostTestSupport

/// What a run folder holds that must be reproducible: every safetensors file's tensors (dtype,
/// shape and bytes) and metadata, every metrics line without its timing fields, and per folder the
/// TensorBoard scalars its event files show.
struct RunFolderSnapshot {
    /// Per file (path relative to the folder): per tensor, its header entry (dtype, shape) and bytes.
    var tensors: [String: [String: (header: String, bytes: Data)]] = [:]
    /// Per file: its `__metadata__`.
    var metadata: [String: [String: String]] = [:]
    /// Per `metrics.jsonl`: its lines as sorted-key JSON without `seconds` and `images_per_s`; per
    /// `.csv` file (`modes.csv`): its lines.
    var metrics: [String: [String]] = [:]
    /// Per folder holding TensorBoard event files (relative path, `.` for the run's own): the scalars
    /// TensorBoard shows, each as `tag@step=value` (wall times aside).
    var scalars: [String: [String]] = [:]
    /// Every file's relative path, hidden ones included, except TensorBoard event files: their names
    /// hold the time and the process id, and a resumed run adds one (see ``scalars``).
    var files: Set<String> = []

    /// Keys of wall-clock time, which no two runs share.
    static let timingKeys: Set<String> = ["seconds", "images_per_s"]

    /// Reads `folder` and its subfolders.
    init(_ folder: URL) throws {
        let paths = FileManager.default.subpaths(atPath: folder.path) ?? []
        for path in paths.sorted() {
            let url = folder.appendingPathComponent(path)
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder), !isFolder.boolValue else { continue }
            if url.lastPathComponent.hasPrefix("events.out.tfevents.") {
                let directory = (path as NSString).deletingLastPathComponent, key = directory.isEmpty ? "." : directory
                if scalars[key] == nil {
                    // Sorted: what TensorBoard keeps per tag and step, whichever file held it.
                    scalars[key] = try TensorBoardEventReader.loadedScalars(in: url.deletingLastPathComponent()).map(\.description).sorted()
                }
                continue
            }
            files.insert(path)
            if path.hasSuffix(".safetensors") {
                (tensors[path], metadata[path]) = try Self.readSafeTensors(url)
            } else if path.hasSuffix("metrics.jsonl") {
                metrics[path] = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map(Self.withoutTiming)
            } else if path.hasSuffix(".csv") {
                metrics[path] = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map(String.init)
            }
        }
    }

    /// The differences from `other`, each naming the file and the tensor or line; empty when equal.
    func differences(from other: RunFolderSnapshot) -> [String] {
        var found: [String] = []
        if files != other.files { found.append("files differ: \(files.symmetricDifference(other.files).sorted())") }
        for (file, mine) in tensors.sorted(by: { $0.key < $1.key }) {
            guard let theirs = other.tensors[file] else { continue }
            let names = Set(mine.keys).union(theirs.keys).sorted()
            let differing = names.filter { mine[$0]?.header != theirs[$0]?.header || mine[$0]?.bytes != theirs[$0]?.bytes }
            if !differing.isEmpty { found.append("\(file): tensors \(differing.prefix(5).joined(separator: ", ")) differ") }
            if metadata[file] != other.metadata[file] {
                found.append("\(file): metadata \(metadata[file] ?? [:]) vs \(other.metadata[file] ?? [:])")
            }
        }
        for (file, lines) in metrics.sorted(by: { $0.key < $1.key }) where other.metrics[file] != nil && other.metrics[file] != lines {
            found.append("\(file): \(lines) vs \(other.metrics[file] ?? [])")
        }
        if Set(scalars.keys) != Set(other.scalars.keys) {
            found.append("folders with TensorBoard event files differ: \(scalars.keys.sorted()) vs \(other.scalars.keys.sorted())")
        }
        for (folder, mine) in scalars.sorted(by: { $0.key < $1.key }) where other.scalars[folder] != nil && other.scalars[folder] != mine {
            let theirs = other.scalars[folder] ?? []
            let onlyHere = mine.filter { !theirs.contains($0) }.prefix(5), onlyThere = theirs.filter { !mine.contains($0) }.prefix(5)
            found.append("\(folder): TensorBoard scalars \(mine.count) vs \(theirs.count); only here \(onlyHere), only there \(onlyThere)")
        }
        return found
    }

    /// A safetensors file by hand (8-byte little-endian header length, JSON header, data).
    static func readSafeTensors(_ url: URL) throws -> ([String: (header: String, bytes: Data)], [String: String]) {
        let data = try Data(contentsOf: url)
        guard data.count >= 8 else { throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: url.path]) }
        let length = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        guard 8 + length <= data.count,
              let header = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<8 + length)) as? [String: Any] else {
            throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: url.path])
        }
        var tensors: [String: (header: String, bytes: Data)] = [:]
        for (name, value) in header where name != "__metadata__" {
            guard let entry = value as? [String: Any], let offsets = entry["data_offsets"] as? [Int], offsets.count == 2 else { continue }
            let begin = 8 + length + offsets[0], end = 8 + length + offsets[1]
            guard begin <= end, end <= data.count else { throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: url.path]) }
            tensors[name] = ("\(entry["dtype"] ?? "") \(entry["shape"] ?? "")", data.subdata(in: begin..<end))
        }
        return (tensors, header["__metadata__"] as? [String: String] ?? [:])
    }

    /// One metrics line as sorted-key JSON, the timing fields removed at every level.
    static func withoutTiming(_ line: Substring) -> String {
        func strip(_ value: Any) -> Any {
            guard let object = value as? [String: Any] else { return value }
            return object.filter { !timingKeys.contains($0.key) }.mapValues(strip)
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)),
              let data = try? JSONSerialization.data(withJSONObject: strip(object), options: [.sortedKeys]) else { return String(line) }
        return String(decoding: data, as: UTF8.self)
    }
}
