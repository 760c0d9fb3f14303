import RetortDistill

/// `--help` lines for the distillation methods, from their declarations.
enum MethodHelp {
    /// `--flag a|b|c (default a)` and, per method with options, `name: --key default …`.
    static func lines(_ methods: [DistillationMethod], flag: String, defaultName: String? = nil) -> [String] {
        var lines = ["--\(flag) \(methods.map(\.name).joined(separator: "|"))" + (defaultName.map { " (default \($0))" } ?? "")]
        var line = ""
        for method in methods where !method.options.isEmpty {
            let entry = "\(method.name): " + options(method.options)
            if !line.isEmpty, line.count + entry.count + 3 > 100 {
                lines.append(line)
                line = ""
            }
            line += (line.isEmpty ? "" : "   ") + entry
        }
        if !line.isEmpty { lines.append(line) }
        return lines
    }

    /// `--key default --key a|b`.
    static func options(_ options: [MethodOption]) -> String {
        options.map { "--\($0.key) \($0.placeholder)" }.joined(separator: " ")
    }
}
