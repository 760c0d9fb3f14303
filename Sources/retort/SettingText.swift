import Foundation
import RetortDistill

/// One setting as given: its key and its text (a flag's value, or a JSON value as text), with the
/// JSON value when it came from a file. Its readers check the value and name the key on error.
struct SettingText {
    var key: String
    var text: String
    /// The value as the JSON file gave it (nil for a flag).
    var json: Any?

    /// A setting from a flag.
    init(key: String, text: String) {
        self.key = key
        self.text = text
    }

    /// A setting from the JSON file (lists comma-joined; JSON booleans may read as 1/0). A null, an
    /// object, or a list holding one is refused: no setting takes them.
    init(key: String, json value: Any) throws(CLIError) {
        let items = (value as? [Any]) ?? [value]
        if let bad = items.first(where: { $0 is NSNull || $0 is [String: Any] || $0 is [Any] }) {
            let what = bad is NSNull ? "null" : bad is [Any] ? "a nested list" : "an object"
            throw .usage("\(key) is \(what) in the settings file; give a number, a string, true/false or a list of them, "
                         + "or leave the key out for its default")
        }
        self.key = key
        text = Self.text(of: value)
        json = value
    }

    /// A JSON value as the text a flag would give.
    static func text(of value: Any) -> String {
        if let list = value as? [Any] { return list.map { "\($0)" }.joined(separator: ",") }
        if let string = value as? String { return string }
        return "\(value)"
    }

    func integer(_ range: ClosedRange<Int>) throws(CLIError) -> Int {
        guard let value = Int(text), range.contains(value) else {
            throw .usage("\(key) must be an integer in \(range.lowerBound)...\(range.upperBound), got '\(text)'")
        }
        return value
    }

    func number(_ range: ClosedRange<Double>) throws(CLIError) -> Double {
        guard let value = Double(text), value.isFinite, range.contains(value) else {
            throw .usage("\(key) must be a number in \(range.lowerBound)...\(range.upperBound), got '\(text)'")
        }
        return value
    }

    /// `true` or `false` (a JSON boolean arrives as an NSNumber).
    func boolean() throws(CLIError) -> Bool {
        guard let value = (json as? Bool) ?? Bool(text) else { throw .usage("\(key) must be true or false, got '\(text)'") }
        return value
    }

    /// Comma-separated names, trimmed, empty ones dropped.
    func list() -> [String] { text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }

    /// The value of a method's declared option: a number (booleans as 1 or 0), or nil for a choice
    /// (keep the text).
    func option(_ declaration: MethodOption) throws(CLIError) -> Double? {
        do { return try declaration.parse(text) } catch { throw .usage(error.description) }
    }
}
