import Foundation

/// Finds, in Swift source text, the protocols whose names start with `Registered` and the types
/// that conform to them, and writes the list of those types as Swift.
///
/// A conformance counts where a declaration names the protocol in its inheritance clause:
/// `extension KnowledgeDistillation: RegisteredMethod`, `enum TrainCommand: RegisteredCommand`. Comments
/// are skipped; the protocol must be declared in the same sources.
struct RegistryScanner {
    /// Conforming types by protocol, each list sorted by type name.
    private(set) var conformances: [String: [String]] = [:]

    /// The prefix of a marker protocol's name.
    static let markerPrefix = "Registered"

    private static let protocolPattern = try! NSRegularExpression(pattern: #"\bprotocol\s+(Registered\w*)\b"#)
    private static let declarationPattern = try! NSRegularExpression(
        pattern: #"\b(?:extension|struct|enum|class|actor)\s+([A-Za-z_][\w.]*)\s*(?:<[^>{]*>)?\s*:\s*([^{]*)\{"#)

    /// Scans `sources` (the text of every file of a target).
    init(sources: [String]) {
        let texts = sources.map(Self.removingComments)
        var markers = Set<String>()
        for text in texts {
            for match in Self.matches(Self.protocolPattern, in: text) { markers.insert(match[1]) }
        }
        var found = Dictionary(uniqueKeysWithValues: markers.map { ($0, Set<String>()) })
        for text in texts {
            for match in Self.matches(Self.declarationPattern, in: text) {
                let inherited = match[2].components(separatedBy: " where ")[0]
                for name in inherited.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespacesAndNewlines) })
                where markers.contains(name) {
                    found[name, default: []].insert(match[1])
                }
            }
        }
        conformances = found.mapValues { $0.sorted() }
    }

    /// The generated Swift: an `enum Registrations` with one list per marker protocol, named after
    /// it (`registeredMethod: [any RegisteredMethod.Type]`).
    var swift: String {
        var lines = ["// Generated at build time by RegistryGenerator from this target's sources: every type that",
                     "// conforms to one of its `Registered…` protocols. Do not edit.", "",
                     "/// The types of this target that conform to its `Registered…` protocols.",
                     "enum Registrations {"]
        for marker in conformances.keys.sorted() {
            let property = marker.prefix(1).lowercased() + marker.dropFirst()
            lines.append("    /// Every type conforming to `\(marker)`.")
            lines.append("    static let \(property): [any \(marker).Type] = [")
            lines += conformances[marker, default: []].map { "        \($0).self," }
            lines.append("    ]")
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    /// The source without `//` and `/* */` comments (string literals are left as they are).
    static func removingComments(_ source: String) -> String {
        var result = ""
        var index = source.startIndex
        while index < source.endIndex {
            let rest = source[index...]
            if rest.hasPrefix("//") {
                index = rest.firstIndex(of: "\n") ?? source.endIndex
            } else if rest.hasPrefix("/*") {
                index = rest.range(of: "*/").map(\.upperBound) ?? source.endIndex
                result.append(" ")
            } else {
                result.append(source[index])
                index = source.index(after: index)
            }
        }
        return result
    }

    private static func matches(_ pattern: NSRegularExpression, in text: String) -> [[String]] {
        let range = NSRange(text.startIndex..., in: text)
        return pattern.matches(in: text, range: range).map { match in
            (0..<match.numberOfRanges).map { index in
                Range(match.range(at: index), in: text).map { String(text[$0]) } ?? ""
            }
        }
    }
}
