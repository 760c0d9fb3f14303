/// Every difference between the tensors a model expects and the tensors a checkpoint holds, as one
/// error — like PyTorch's `load_state_dict(strict=True)`, which reports all missing and unexpected
/// keys and all size mismatches at once instead of stopping at the first.
///
/// ```swift
/// if let mismatch = StateDictMismatch(expected: model.parameterShapes, found: checkpoint.shapes, source: path) {
///     throw mismatch
/// }
/// ```
public struct StateDictMismatch: Error, Equatable, Sendable, CustomStringConvertible {
    /// A key present on both sides with different shapes.
    public struct Misshaped: Equatable, Sendable {
        public var name: String
        public var expected: [Int]
        public var found: [Int]

        public init(name: String, expected: [Int], found: [Int]) {
            self.name = name
            self.expected = expected
            self.found = found
        }
    }

    /// Where the state dict came from (a file path), for the message; nil if unknown.
    public var source: String?
    /// Keys the model expects that the state dict lacks, sorted.
    public var missing: [String]
    /// Keys in the state dict that the model does not have, sorted.
    public var unexpected: [String]
    /// Keys with the wrong shape, sorted by name.
    public var misshaped: [Misshaped]

    /// Compares `found` (name → shape, e.g. from a checkpoint) against `expected` (from the
    /// model); nil when they match exactly.
    public init?(expected: [String: [Int]], found: [String: [Int]], source: String? = nil) {
        missing = expected.keys.filter { found[$0] == nil }.sorted()
        unexpected = found.keys.filter { expected[$0] == nil }.sorted()
        misshaped = expected.compactMap { name, shape in
            guard let other = found[name], other != shape else { return nil }
            return Misshaped(name: name, expected: shape, found: other)
        }.sorted { $0.name < $1.name }
        self.source = source
        if missing.isEmpty && unexpected.isEmpty && misshaped.isEmpty { return nil }
    }

    public var description: String {
        func count(_ number: Int, _ noun: String) -> String { "\(number) \(noun)\(number == 1 ? "" : "s")" }
        var parts: [String] = []
        if !missing.isEmpty { parts.append(count(missing.count, "missing key")) }
        if !unexpected.isEmpty { parts.append(count(unexpected.count, "unexpected key")) }
        if !misshaped.isEmpty { parts.append(count(misshaped.count, "misshaped key")) }
        var lines = ["state dict\(source.map { " '\($0)'" } ?? "") does not match the model: \(parts.joined(separator: ", "))"]
        lines += missing.map { "  missing: \($0)" }
        lines += unexpected.map { "  unexpected: \($0)" }
        lines += misshaped.map { "  misshaped: \($0.name): expected \($0.expected), found \($0.found)" }
        if let hint { lines.append("  hint: \(hint)") }
        return lines.joined(separator: "\n")
    }

    /// A likely cause worth naming: a checkpoint saved from `nn.DataParallel` prefixes every key
    /// with `module.`.
    private var hint: String? {
        let prefix = "module."
        guard !unexpected.isEmpty, unexpected.allSatisfy({ $0.hasPrefix(prefix) }),
              unexpected.contains(where: { missing.contains(String($0.dropFirst(prefix.count))) }) else { return nil }
        return "the unexpected keys start with '\(prefix)' (saved from nn.DataParallel?); strip that prefix"
    }
}

extension SafeTensors {
    /// The shape of every tensor, by name.
    public var shapes: [String: [Int]] { tensors.mapValues(\.shape) }

    /// Throws one ``StateDictMismatch`` listing every missing, unexpected and misshaped key when
    /// the tensors are not exactly the `expected` names and shapes; `source` names the file.
    public func checkShapes(against expected: [String: [Int]], source: String? = nil) throws(StateDictMismatch) {
        if let mismatch = StateDictMismatch(expected: expected, found: shapes, source: source) { throw mismatch }
    }
}
