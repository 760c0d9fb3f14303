import Foundation
import RetortDistill
import RetortReport

/// What the command reports share besides ``HTMLReport``'s tables, paragraphs and figures: reading
/// the run-folder files and formatting numbers.
enum PageFragment {
    /// The lines of a JSON-lines file decoded as `T`; lines that do not decode (a line cut by a
    /// kill) are left out, and a missing file has none.
    static func lines<T: Decodable>(of url: URL, as type: T.Type) -> [T] {
        let text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { try? JSONDecoder().decode(T.self, from: Data($0.utf8)) }
    }

    /// A JSON file decoded as `T`.
    /// - Throws: `CLIError.failed` naming the file and what is wrong with it.
    static func decode<T: Decodable>(_ type: T.Type, from url: URL) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(contentsOf: url))
        } catch {
            throw CLIError.failed("cannot read \(url.path) for the report: \(error); write it again by running the command again")
        }
    }

    /// A fraction as a percentage with two decimals (`87.25%`), or `—`.
    static func percent(_ value: Double?) -> String { value.map { String(format: "%.2f%%", $0 * 100) } ?? "—" }

    /// A number with four decimals, or `—`.
    static func number(_ value: Double?) -> String { value.map { String(format: "%.4f", $0) } ?? "—" }

    /// A difference of fractions in percentage points with its sign (`+0.40 pp`).
    static func points(_ value: Double) -> String { String(format: "%+.2f pp", value * 100) }
}
