/// The protocol-buffer wire format, as far as TensorBoard's `Event` and `Summary` and ONNX's `ModelProto` need it: varints,
/// 64-bit doubles, 32-bit floats and length-delimited fields (strings, nested messages). Each field is
/// its key (field number << 3 | wire type) as a varint, then its value; little-endian fixed widths.
public struct ProtobufWriter: Sendable {
    /// The message so far.
    public private(set) var bytes: [UInt8] = []

    public init() {}

    /// The wire types used here.
    enum WireType: UInt64 {
        case varint = 0, fixed64 = 1, lengthDelimited = 2, fixed32 = 5
    }

    /// An `int64`/`uint64`/`enum` field; a negative value takes ten bytes (two's complement), as protobuf encodes it.
    public mutating func varint(_ field: Int, _ value: Int64) {
        key(field, .varint)
        appendVarint(UInt64(bitPattern: value))
    }

    /// A `double` field.
    public mutating func double(_ field: Int, _ value: Double) {
        key(field, .fixed64)
        bytes += value.bitPattern.littleEndianBytes
    }

    /// A `float` field.
    public mutating func float(_ field: Int, _ value: Float) {
        key(field, .fixed32)
        bytes += value.bitPattern.littleEndianBytes
    }

    /// A `string` field, in UTF-8.
    public mutating func string(_ field: Int, _ value: String) {
        lengthDelimited(field, Array(value.utf8))
    }

    /// A `bytes` field (raw data, such as a tensor's little-endian values).
    public mutating func rawBytes(_ field: Int, _ value: [UInt8]) {
        lengthDelimited(field, value)
    }

    /// An embedded message field.
    public mutating func message(_ field: Int, _ message: ProtobufWriter) {
        lengthDelimited(field, message.bytes)
    }

    private mutating func lengthDelimited(_ field: Int, _ value: [UInt8]) {
        key(field, .lengthDelimited)
        appendVarint(UInt64(value.count))
        bytes += value
    }

    private mutating func key(_ field: Int, _ type: WireType) {
        appendVarint(UInt64(field) << 3 | type.rawValue)
    }

    /// Seven bits per byte, least significant first; the high bit marks a byte that has a successor.
    private mutating func appendVarint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(rest & 0x7F) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }
}

extension FixedWidthInteger {
    /// The value's bytes, least significant first (the byte order of protobuf and TFRecord).
    package var littleEndianBytes: [UInt8] { withUnsafeBytes(of: littleEndian) { Array($0) } }
}
