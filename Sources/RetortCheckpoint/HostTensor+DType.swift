extension HostTensor {
    /// The element type of a host tensor, spelled as in the safetensors header (`"F32"`, `"I64"`, …).
    ///
    /// The cases are declared in the reference implementation's order (increasing alignment), which
    /// is also the order a writer uses to lay tensors out: larger elements first.
    public enum DType: String, CaseIterable, Comparable, Sendable, CustomStringConvertible {
        case bool = "BOOL"
        case uint8 = "U8"
        case int8 = "I8"
        /// 8-bit float, 5 exponent bits, 2 mantissa bits (IEEE-like, with infinities).
        case float8E5M2 = "F8_E5M2"
        /// 8-bit float, 4 exponent bits, 3 mantissa bits, finite only (PyTorch's `float8_e4m3fn`).
        case float8E4M3 = "F8_E4M3"
        case int16 = "I16"
        case uint16 = "U16"
        case float16 = "F16"
        case bfloat16 = "BF16"
        case int32 = "I32"
        case uint32 = "U32"
        case float32 = "F32"
        case float64 = "F64"
        case int64 = "I64"
        case uint64 = "U64"

        /// Bytes per element.
        public var byteCount: Int {
            switch self {
            case .bool, .uint8, .int8, .float8E5M2, .float8E4M3: 1
            case .int16, .uint16, .float16, .bfloat16: 2
            case .int32, .uint32, .float32: 4
            case .float64, .int64, .uint64: 8
            }
        }

        /// Whether the elements are floating-point numbers.
        public var isFloatingPoint: Bool {
            switch self {
            case .float8E5M2, .float8E4M3, .float16, .bfloat16, .float32, .float64: true
            case .bool, .uint8, .int8, .int16, .uint16, .int32, .uint32, .int64, .uint64: false
            }
        }

        /// The safetensors spelling, e.g. `F32`.
        public var description: String { rawValue }

        public static func < (lhs: DType, rhs: DType) -> Bool {
            allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
        }
    }
}

/// A Swift scalar type that maps one-to-one onto a ``HostTensor/DType`` and whose in-memory
/// representation is that dtype's (on a little-endian machine, its safetensors bytes).
public protocol HostTensorScalar: BitwiseCopyable, Sendable {
    /// The dtype an array of this type is stored as.
    static var dtype: HostTensor.DType { get }
}

extension Float: HostTensorScalar { public static var dtype: HostTensor.DType { .float32 } }
extension Double: HostTensorScalar { public static var dtype: HostTensor.DType { .float64 } }
extension Int64: HostTensorScalar { public static var dtype: HostTensor.DType { .int64 } }
extension Int32: HostTensorScalar { public static var dtype: HostTensor.DType { .int32 } }
extension Int16: HostTensorScalar { public static var dtype: HostTensor.DType { .int16 } }
extension Int8: HostTensorScalar { public static var dtype: HostTensor.DType { .int8 } }
extension UInt64: HostTensorScalar { public static var dtype: HostTensor.DType { .uint64 } }
extension UInt32: HostTensorScalar { public static var dtype: HostTensor.DType { .uint32 } }
extension UInt16: HostTensorScalar { public static var dtype: HostTensor.DType { .uint16 } }
extension UInt8: HostTensorScalar { public static var dtype: HostTensor.DType { .uint8 } }
extension Bool: HostTensorScalar { public static var dtype: HostTensor.DType { .bool } }
