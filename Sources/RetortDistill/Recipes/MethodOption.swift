/// One option a distillation method reads: its key (in JSON and, with `--`, on the command line),
/// its type, its default and a one-line help.
public struct MethodOption: Sendable, Equatable {
    /// What values the option takes.
    public enum ValueType: Sendable, Equatable {
        /// A number in the range (integers are numbers the method rounds down).
        case number(ClosedRange<Double>)
        /// `true` or `false` (`1`/`0` from a JSON boolean).
        case boolean
        /// One of the listed names.
        case choice([String])
    }

    public var key: String
    public var type: ValueType
    /// The default as the text a user would give (`"8"`, `"true"`, `"batchmean"`).
    public var defaultText: String
    public var help: String

    /// The range of numbers every method accepts unless it says otherwise.
    public static let defaultRange: ClosedRange<Double> = 0...1e6

    /// A numeric option.
    public static func number(_ key: String, default value: Double, in range: ClosedRange<Double> = defaultRange,
                              help: String) -> MethodOption {
        MethodOption(key: key, type: .number(range), defaultText: Self.text(of: value), help: help)
    }

    /// A boolean option.
    public static func boolean(_ key: String, default value: Bool, help: String) -> MethodOption {
        MethodOption(key: key, type: .boolean, defaultText: value ? "true" : "false", help: help)
    }

    /// An option that takes one of `choices`.
    public static func choice(_ key: String, _ choices: [String], default value: String, help: String) -> MethodOption {
        MethodOption(key: key, type: .choice(choices), defaultText: value, help: help)
    }

    /// The default as a number (booleans as 1 or 0; 0 for a choice).
    public var defaultNumber: Double {
        switch type {
        case .number: return Double(defaultText) ?? 0
        case .boolean: return defaultText == "true" ? 1 : 0
        case .choice: return 0
        }
    }

    /// The values the option takes, for help text (`batchmean|mean|sum`, `true|false`, `8`).
    public var placeholder: String {
        switch type {
        case .number: return defaultText
        case .boolean: return "true|false"
        case .choice(let choices): return choices.joined(separator: "|")
        }
    }

    /// Checks a value given as text (JSON booleans may arrive as `1`/`0`); the error names the key.
    /// - Returns: the number to keep (booleans as 1 or 0) or, for a choice, nil (keep the text).
    public func parse(_ text: String) throws(DistillationError) -> Double? {
        switch type {
        case .number(let range):
            guard let value = Double(text), value.isFinite, range.contains(value) else {
                throw .invalidConfiguration("\(key) must be a number in \(range.lowerBound)...\(range.upperBound), got '\(text)'")
            }
            return value
        case .boolean:
            switch text.lowercased() {
            case "true", "1": return 1
            case "false", "0": return 0
            default: throw .invalidConfiguration("\(key) must be true or false, got '\(text)'")
            }
        case .choice(let choices):
            guard choices.contains(text) else {
                throw .invalidConfiguration("\(key) must be \(Self.sentence(choices)), got '\(text)'")
            }
            return nil
        }
    }

    /// `a, b or c` (with `conjunction` "or").
    public static func sentence(_ words: [String], joinedBy conjunction: String = "or") -> String {
        words.count < 2 ? words.joined() : words.dropLast().joined(separator: ", ") + " \(conjunction) " + words[words.count - 1]
    }

    /// A number as a user writes it: `8`, `0.07`.
    public static func text(of value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}
