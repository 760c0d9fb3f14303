/// What went wrong building or converting a ``HostTensor``.
public enum HostTensorError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A dimension is negative, or the element count overflows `Int`.
    case invalidShape([Int])
    /// The byte count is not `elementCount(shape) × dtype.byteCount`.
    case byteCountMismatch(dtype: HostTensor.DType, shape: [Int], byteCount: Int)
    /// The number of values does not match the element count of the shape.
    case elementCountMismatch(shape: [Int], count: Int)
    /// The tensor's dtype cannot be converted to the requested Swift type.
    case unsupportedConversion(from: HostTensor.DType, to: String)
    /// An element does not fit the requested Swift type.
    case valueOutOfRange(dtype: HostTensor.DType, index: Int, to: String)

    public var description: String {
        switch self {
        case .invalidShape(let shape):
            "invalid tensor shape \(shape): dimensions must be non-negative and their product must fit in Int"
        case .byteCountMismatch(let dtype, let shape, let byteCount):
            "a \(dtype) tensor of shape \(shape) needs \(HostTensor.byteCount(dtype: dtype, shape: shape).map(String.init) ?? "too many") bytes, got \(byteCount)"
        case .elementCountMismatch(let shape, let count):
            "shape \(shape) holds \(HostTensor.elementCount(shape).map(String.init) ?? "too many") elements, got \(count) values"
        case .unsupportedConversion(let dtype, let target):
            "cannot convert a \(dtype) tensor to \(target)"
        case .valueOutOfRange(let dtype, let index, let target):
            "element \(index) of a \(dtype) tensor does not fit in \(target)"
        }
    }
}
