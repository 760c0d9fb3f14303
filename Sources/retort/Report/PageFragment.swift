import Foundation
import RetortDistill
import RetortReport

/// The HTML pieces the command reports build their sections from: tables, paragraphs, charts side
/// by side, and the run-folder files they read.
enum PageFragment {
    /// A table: a header row and body rows of text (escaped).
    static func table(header: [String], rows: [[String]]) -> String {
        let e = SVG.escaped
        var out = "<div class=\"table\"><table>\n<thead><tr>" + header.map { "<th>\(e($0))</th>" }.joined() + "</tr></thead>\n<tbody>\n"
        for row in rows { out += "<tr>" + row.map { "<td>\(e($0))</td>" }.joined() + "</tr>\n" }
        return out + "</tbody>\n</table></div>"
    }

    /// A paragraph of text (escaped).
    static func paragraph(_ text: String) -> String { "<p>\(SVG.escaped(text))</p>" }

    /// Charts side by side.
    static func figures(_ svgs: [String]) -> String { "<div class=\"figures\">\n" + svgs.joined() + "</div>" }

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
