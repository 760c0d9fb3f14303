/// One tensor in host memory: its element type, its shape and its raw bytes, little-endian and
/// row-major (C order), exactly as a safetensors file or a PyTorch `state_dict` entry stores it.
///
/// ```swift
/// let weight = try HostTensor([Float](repeating: 0, count: 16 * 3 * 3 * 3), shape: [16, 3, 3, 3])
/// let tracked = HostTensor(scalar: Int64(0))           // bn1.num_batches_tracked
/// let values = try loaded.floats()                      // any numeric dtype → [Float]
/// ```
public struct HostTensor: Equatable, Sendable {
    /// The element type.
    public let dtype: DType
    /// The dimensions, outermost first; `[]` is a scalar (one element).
    public let shape: [Int]
    /// `elementCount × dtype.byteCount` bytes, little-endian, row-major.
    public let bytes: [UInt8]

    /// The number of elements (the product of the shape; 1 for a scalar, 0 if any dimension is 0).
    public var elementCount: Int { shape.reduce(1, *) }

    /// A tensor over raw little-endian bytes; throws if their count does not match dtype and shape.
    public init(dtype: DType, shape: [Int], bytes: [UInt8]) throws(HostTensorError) {
        guard let expected = Self.byteCount(dtype: dtype, shape: shape) else { throw .invalidShape(shape) }
        guard expected == bytes.count else {
            throw .byteCountMismatch(dtype: dtype, shape: shape, byteCount: bytes.count)
        }
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }

    /// A tensor of `Scalar.dtype` holding `scalars` in row-major order.
    public init<Scalar: HostTensorScalar>(_ scalars: [Scalar], shape: [Int]) throws(HostTensorError) {
        guard let count = Self.elementCount(shape) else { throw .invalidShape(shape) }
        guard count == scalars.count else { throw .elementCountMismatch(shape: shape, count: scalars.count) }
        var bytes = scalars.withUnsafeBytes { Array($0) }
        #if _endian(big)
        let width = Scalar.dtype.byteCount
        for start in stride(from: 0, to: bytes.count, by: width) { bytes[start..<start + width].reverse() }
        #endif
        self.dtype = Scalar.dtype
        self.shape = shape
        self.bytes = bytes
    }

    /// A scalar tensor (shape `[]`), e.g. `HostTensor(scalar: Int64(0))` for `num_batches_tracked`.
    public init<Scalar: HostTensorScalar>(scalar: Scalar) {
        var value = scalar
        var bytes = withUnsafeBytes(of: &value) { Array($0) }
        #if _endian(big)
        bytes.reverse()
        #endif
        self.dtype = Scalar.dtype
        self.shape = []
        self.bytes = bytes
    }

    /// `values` stored as a floating-point `dtype` (F32, F64, F16 or BF16), rounding to nearest even
    /// where the format is narrower than `Float`.
    public init(converting values: [Float], to dtype: DType, shape: [Int]) throws(HostTensorError) {
        switch dtype {
        case .float32: try self.init(values, shape: shape)
        case .float64: try self.init(values.map(Double.init), shape: shape)
        case .float16: try self.init(values.map(ReducedPrecision.float16(from:)), shape: shape, as: .float16)
        case .bfloat16: try self.init(values.map(ReducedPrecision.bfloat16(from:)), shape: shape, as: .bfloat16)
        default: throw .unsupportedConversion(from: dtype, to: "[Float] (only F32, F64, F16 and BF16 are written from Float)")
        }
    }

    /// 16-bit patterns stored under a 16-bit dtype.
    private init(_ patterns: [UInt16], shape: [Int], as dtype: DType) throws(HostTensorError) {
        let raw = try HostTensor(patterns, shape: shape)
        try self.init(dtype: dtype, shape: shape, bytes: raw.bytes)
    }

    // MARK: Conversions

    /// The elements as `Float`: floating-point dtypes are rounded to nearest, integers converted
    /// (rounding large ones), booleans become 0 and 1.
    public func floats() -> [Float] {
        #if _endian(little)
        if dtype == .float32 { return copied(as: Float.self) }
        #endif
        return converted(to: Float.self)
    }

    /// The elements as `Double` (exact for every dtype except 64-bit integers beyond 2^53).
    public func doubles() -> [Double] {
        #if _endian(little)
        if dtype == .float64 { return copied(as: Double.self) }
        #endif
        return converted(to: Double.self)
    }

    /// The elements as `Int64`, for integer and boolean dtypes; throws for floating-point dtypes
    /// (no silent truncation) and for `U64` values above `Int64.max`.
    public func int64s() throws(HostTensorError) -> [Int64] {
        switch dtype {
        case .bool: return bytes.map { $0 == 0 ? 0 : 1 }
        case .uint8: return bytes.map(Int64.init)
        case .int8: return bytes.map { Int64(Int8(bitPattern: $0)) }
        case .int16: return elements(Int16.self).map(Int64.init)
        case .uint16: return elements(UInt16.self).map(Int64.init)
        case .int32: return elements(Int32.self).map(Int64.init)
        case .uint32: return elements(UInt32.self).map(Int64.init)
        case .int64: return elements(Int64.self)
        case .uint64:
            let values = elements(UInt64.self)
            if let index = values.firstIndex(where: { $0 > UInt64(Int64.max) }) {
                throw .valueOutOfRange(dtype: dtype, index: index, to: "Int64")
            }
            return values.map { Int64($0) }
        case .float8E5M2, .float8E4M3, .float16, .bfloat16, .float32, .float64:
            throw .unsupportedConversion(from: dtype, to: "Int64")
        }
    }

    private func converted<T: BinaryFloatingPoint>(to: T.Type) -> [T] {
        switch dtype {
        case .float32: elements(UInt32.self).map { T(Float(bitPattern: $0)) }
        case .float64: elements(UInt64.self).map { T(Double(bitPattern: $0)) }
        case .float16: elements(UInt16.self).map { T(ReducedPrecision.float(fromFloat16: $0)) }
        case .bfloat16: elements(UInt16.self).map { T(ReducedPrecision.float(fromBFloat16: $0)) }
        case .float8E5M2: bytes.map { T(ReducedPrecision.float(fromFloat8E5M2: $0)) }
        case .float8E4M3: bytes.map { T(ReducedPrecision.float(fromFloat8E4M3: $0)) }
        case .bool: bytes.map { $0 == 0 ? 0 : 1 }
        case .uint8: bytes.map { T($0) }
        case .int8: bytes.map { T(Int8(bitPattern: $0)) }
        case .int16: elements(Int16.self).map { T($0) }
        case .uint16: elements(UInt16.self).map { T($0) }
        case .int32: elements(Int32.self).map { T($0) }
        case .uint32: elements(UInt32.self).map { T($0) }
        case .int64: elements(Int64.self).map { T($0) }
        case .uint64: elements(UInt64.self).map { T($0) }
        }
    }

    /// The bytes read as little-endian `Element`s.
    private func elements<Element: FixedWidthInteger & BitwiseCopyable>(_: Element.Type) -> [Element] {
        #if _endian(little)
        return copied(as: Element.self)
        #else
        let width = MemoryLayout<Element>.size
        return bytes.withUnsafeBytes { raw in
            (0..<raw.count / width).map { Element(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * width, as: Element.self)) }
        }
        #endif
    }

    /// The bytes reinterpreted as `Element`s in one copy (the host's byte order).
    private func copied<Element: BitwiseCopyable>(as _: Element.Type) -> [Element] {
        let count = bytes.count / MemoryLayout<Element>.stride
        return [Element](unsafeUninitializedCapacity: count) { buffer, initialized in
            bytes.withUnsafeBytes { UnsafeMutableRawBufferPointer(buffer).copyMemory(from: $0) }
            initialized = count
        }
    }

    // MARK: Sizes

    /// The product of `shape`, or nil if a dimension is negative or the product overflows.
    public static func elementCount(_ shape: [Int]) -> Int? {
        var count = 1
        for dimension in shape {
            guard dimension >= 0 else { return nil }
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow else { return nil }
            count = product
        }
        return count
    }

    /// The byte size of a `dtype` tensor of `shape`, or nil if the shape is invalid or too large.
    public static func byteCount(dtype: DType, shape: [Int]) -> Int? {
        guard let count = elementCount(shape) else { return nil }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype.byteCount)
        return overflow ? nil : bytes
    }
}
