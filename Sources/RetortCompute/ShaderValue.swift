/// A 4-byte scalar handed to a shader, as a push constant or a specialization constant.
public enum ShaderValue: Sendable, Hashable, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral, ExpressibleByBooleanLiteral {
    case uint(UInt32)
    case int(Int32)
    case float(Float)
    case bool(Bool)

    public init(integerLiteral value: UInt32) { self = .uint(value) }
    public init(floatLiteral value: Float) { self = .float(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }

    /// A `uint` from any integer; traps on values outside `UInt32` (a programmer error).
    public static func count(_ value: Int) -> ShaderValue { .uint(UInt32(value)) }

    /// The bit pattern the shader sees.
    var bits: UInt32 {
        switch self {
        case .uint(let value): return value
        case .int(let value): return UInt32(bitPattern: value)
        case .float(let value): return value.bitPattern
        case .bool(let value): return value ? 1 : 0
        }
    }
}
