/// A small strict JSON reader and writer for safetensors headers.
///
/// Foundation's `JSONSerialization` silently keeps the last of two equal keys and turns integers
/// into `NSNumber`s whose exactness depends on the platform; a header is small and simple, so it is
/// read here instead: objects keep their key order (duplicates are reported), numbers keep their
/// text (so `24` and `24.0` can be told apart and 64-bit offsets are exact).
enum HeaderJSON: Equatable {
    case object([(key: String, value: HeaderJSON)])
    case array([HeaderJSON])
    case string(String)
    /// The number's literal text.
    case number(String)
    case bool(Bool)
    case null

    static func == (lhs: HeaderJSON, rhs: HeaderJSON) -> Bool {
        switch (lhs, rhs) {
        case (.object(let a), .object(let b)): a.map(\.key) == b.map(\.key) && a.map(\.value) == b.map(\.value)
        case (.array(let a), .array(let b)): a == b
        case (.string(let a), .string(let b)), (.number(let a), .number(let b)): a == b
        case (.bool(let a), .bool(let b)): a == b
        case (.null, .null): true
        default: false
        }
    }

    /// A short name of the value's kind, for error messages.
    var kind: String {
        switch self {
        case .object: "an object"
        case .array: "an array"
        case .string: "a string"
        case .number: "a number"
        case .bool: "a boolean"
        case .null: "null"
        }
    }

    /// The value as a non-negative integer written without fraction or exponent.
    var nonNegativeInteger: Int? {
        guard case .number(let text) = self, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        return Int(text)
    }

    // MARK: Reading

    /// Parses one JSON value from `bytes`, allowing surrounding whitespace (headers are padded with
    /// spaces). Throws a message naming the byte offset of the problem.
    static func parse(_ bytes: some Collection<UInt8>) throws(HeaderJSONError) -> HeaderJSON {
        var parser = Parser(bytes: Array(bytes))
        parser.skipWhitespace()
        let value = try parser.value(depth: 0)
        parser.skipWhitespace()
        guard parser.index == parser.bytes.count else { throw parser.error("unexpected text after the top-level value") }
        return value
    }

    private struct Parser {
        let bytes: [UInt8]
        var index = 0
        static let maximumDepth = 64

        func error(_ message: String) -> HeaderJSONError {
            HeaderJSONError(message: "\(message) at byte \(index)")
        }

        mutating func skipWhitespace() {
            while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        }

        mutating func value(depth: Int) throws(HeaderJSONError) -> HeaderJSON {
            guard depth < Self.maximumDepth else { throw error("nesting deeper than \(Self.maximumDepth)") }
            guard index < bytes.count else { throw error("unexpected end of text") }
            switch bytes[index] {
            case UInt8(ascii: "{"): return try object(depth: depth)
            case UInt8(ascii: "["): return try array(depth: depth)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
            default: throw error("unexpected character '\(Unicode.Scalar(bytes[index]))'")
            }
        }

        mutating func literal(_ word: String) throws(HeaderJSONError) {
            let expected = Array(word.utf8)
            guard bytes.count - index >= expected.count, Array(bytes[index..<index + expected.count]) == expected else {
                throw error("invalid literal (expected '\(word)')")
            }
            index += expected.count
        }

        mutating func expect(_ character: Character) throws(HeaderJSONError) {
            guard index < bytes.count, bytes[index] == character.asciiValue! else {
                throw error(index < bytes.count ? "expected '\(character)'" : "unexpected end of text, expected '\(character)'")
            }
            index += 1
        }

        mutating func object(depth: Int) throws(HeaderJSONError) -> HeaderJSON {
            index += 1
            var members: [(key: String, value: HeaderJSON)] = []
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
            while true {
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw error("expected a string key") }
                let key = try string()
                skipWhitespace()
                try expect(":")
                skipWhitespace()
                members.append((key, try value(depth: depth + 1)))
                skipWhitespace()
                guard index < bytes.count else { throw error("unexpected end of text in an object") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                try expect("}")
                return .object(members)
            }
        }

        mutating func array(depth: Int) throws(HeaderJSONError) -> HeaderJSON {
            index += 1
            var elements: [HeaderJSON] = []
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return .array(elements) }
            while true {
                skipWhitespace()
                elements.append(try value(depth: depth + 1))
                skipWhitespace()
                guard index < bytes.count else { throw error("unexpected end of text in an array") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                try expect("]")
                return .array(elements)
            }
        }

        mutating func number() throws(HeaderJSONError) -> String {
            let start = index
            func digits(_ parser: inout Parser) -> Int {
                let first = parser.index
                while parser.index < parser.bytes.count, (0x30...0x39).contains(parser.bytes[parser.index]) { parser.index += 1 }
                return parser.index - first
            }
            if bytes[index] == UInt8(ascii: "-") { index += 1 }
            let integerStart = index
            let integerDigits = digits(&self)
            guard integerDigits > 0 else { throw error("a number needs digits") }
            guard integerDigits == 1 || bytes[integerStart] != UInt8(ascii: "0") else {
                index = start
                throw error("a number has a leading zero")
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                index += 1
                guard digits(&self) > 0 else { throw error("a number needs digits after '.'") }
            }
            if index < bytes.count, bytes[index] | 0x20 == UInt8(ascii: "e") {
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
                guard digits(&self) > 0 else { throw error("a number needs digits in its exponent") }
            }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }

        mutating func string() throws(HeaderJSONError) -> String {
            index += 1  // opening quote
            var scalars = String.UnicodeScalarView()
            var run = index  // start of the current run of plain bytes
            func flush(_ parser: Parser, upTo end: Int, into scalars: inout String.UnicodeScalarView) throws(HeaderJSONError) {
                guard run < end else { return }
                guard let text = String(validating: parser.bytes[run..<end], as: UTF8.self) else {
                    throw parser.error("invalid UTF-8 in a string")
                }
                scalars.append(contentsOf: text.unicodeScalars)
            }
            while true {
                guard index < bytes.count else { throw error("unterminated string") }
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    try flush(self, upTo: index, into: &scalars)
                    index += 1
                    return String(scalars)
                } else if byte == UInt8(ascii: "\\") {
                    try flush(self, upTo: index, into: &scalars)
                    index += 1
                    scalars.append(try escape())
                    run = index
                } else if byte < 0x20 {
                    throw error("control character in a string")
                } else {
                    index += 1
                }
            }
        }

        mutating func escape() throws(HeaderJSONError) -> Unicode.Scalar {
            guard index < bytes.count else { throw error("unterminated escape") }
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""): return "\""
            case UInt8(ascii: "\\"): return "\\"
            case UInt8(ascii: "/"): return "/"
            case UInt8(ascii: "b"): return "\u{08}"
            case UInt8(ascii: "f"): return "\u{0C}"
            case UInt8(ascii: "n"): return "\n"
            case UInt8(ascii: "r"): return "\r"
            case UInt8(ascii: "t"): return "\t"
            case UInt8(ascii: "u"):
                let first = try hex4()
                if (0xD800..<0xDC00).contains(first) {
                    guard bytes.count - index >= 6, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                        throw error("unpaired surrogate in \\u escape")
                    }
                    index += 2
                    let second = try hex4()
                    guard (0xDC00..<0xE000).contains(second) else { throw error("unpaired surrogate in \\u escape") }
                    return Unicode.Scalar(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00))!
                }
                guard let scalar = Unicode.Scalar(first) else { throw error("unpaired surrogate in \\u escape") }
                return scalar
            default:
                throw error("invalid escape '\\\(Unicode.Scalar(byte))'")
            }
        }

        mutating func hex4() throws(HeaderJSONError) -> UInt32 {
            guard bytes.count - index >= 4,
                  let value = UInt32(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16) else {
                throw error("invalid \\u escape")
            }
            index += 4
            return value
        }
    }

    // MARK: Writing

    /// Compact JSON text, keys in the given order, strings escaped as serde_json does (quote,
    /// backslash and control characters; everything else verbatim UTF-8).
    var text: String {
        switch self {
        case .object(let members):
            "{" + members.map { Self.quoted($0.key) + ":" + $0.value.text }.joined(separator: ",") + "}"
        case .array(let elements):
            "[" + elements.map(\.text).joined(separator: ",") + "]"
        case .string(let string): Self.quoted(string)
        case .number(let text): text
        case .bool(let value): value ? "true" : "false"
        case .null: "null"
        }
    }

    static func quoted(_ string: String) -> String {
        var result = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case "\u{08}": result += "\\b"
            case "\u{0C}": result += "\\f"
            case "\u{00}"..."\u{1F}":
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}

/// A header that is not valid JSON; the message names the byte offset within the header.
struct HeaderJSONError: Error, Equatable {
    var message: String
}
