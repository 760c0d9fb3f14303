import Foundation
import RetortCheckpoint

/// `metrics.jsonl`-style files: one JSON object per line, keys sorted, the whole file replaced
/// atomically (so a reader never sees half a line, and a write that fails leaves the previous file).
enum JSONLines {
    static func write<Item: Encodable>(_ items: [Item], to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let lines = try items.map { String(decoding: try encoder.encode($0), as: UTF8.self) }
        try AtomicFile.write(lines.joined(separator: "\n") + "\n", to: url)
    }
}
