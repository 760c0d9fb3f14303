import Foundation

/// `metrics.jsonl`-style files: one JSON object per line, keys sorted, the whole file replaced
/// atomically (so a reader never sees half a line).
enum JSONLines {
    static func write<Item: Encodable>(_ items: [Item], to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let lines = try items.map { String(decoding: try encoder.encode($0), as: UTF8.self) }
        try (lines.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
    }
}
