import Foundation

/// `metrics.jsonl`-style files: one JSON object per line, keys sorted, the whole file replaced
/// atomically (so a reader never sees half a line, and a write that fails leaves the previous file).
enum JSONLines {
    /// The file's bytes: one line per item (written with the checkpoints, as one).
    static func data<Item: Encodable>(_ items: [Item]) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let lines = try items.map { String(decoding: try encoder.encode($0), as: UTF8.self) }
        return Data((lines.joined(separator: "\n") + "\n").utf8)
    }
}
