/// What is wrong with a safetensors file (or with a request to write one). Every case names the
/// file (`file`: its path, or a label such as `<memory>` for bytes not read from disk) and the
/// tensor involved, so the message alone is enough to find the problem.
public enum SafeTensorsError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file could not be read (missing, a directory, no permission, …).
    case readFailed(file: String, reason: String)
    /// The file could not be written; the previous file at that path, if any, is left as it was.
    case writeFailed(file: String, reason: String)
    /// Fewer than the 8 bytes of the header-size prefix.
    case fileTooShort(file: String, byteCount: Int)
    /// The header size prefix is above the reference implementation's 100 MB limit.
    case headerTooLarge(file: String, headerSize: UInt64, limit: Int)
    /// The header size prefix points past the end of the file.
    case headerSizeExceedsFile(file: String, headerSize: UInt64, fileSize: Int)
    /// The header is not UTF-8, or not JSON (`reason` names the byte offset within the header).
    case headerNotJSON(file: String, reason: String)
    /// The header is JSON but not an object of tensor entries, or a tensor entry is malformed
    /// (`name` is the entry; `reason` says which field and why).
    case invalidEntry(file: String, name: String, reason: String)
    /// `__metadata__` is not an object of string values.
    case invalidMetadata(file: String, reason: String)
    /// The header names the same tensor twice.
    case duplicateTensor(file: String, name: String)
    /// A tensor's dtype is not one of the safetensors dtypes.
    case unknownDType(file: String, name: String, dtype: String)
    /// A tensor's `data_offsets` reach past the end of the data section (the file is truncated, or
    /// the offsets are wrong).
    case offsetsOutOfRange(file: String, name: String, begin: Int, end: Int, dataSize: Int)
    /// A tensor's byte range does not have the size its dtype and shape need.
    case sizeMismatch(file: String, name: String, dtype: HostTensor.DType, shape: [Int], expectedBytes: Int, foundBytes: Int)
    /// Two tensors' byte ranges overlap (the same data is claimed twice).
    case overlappingData(file: String, name: String, other: String)
    /// Bytes `begin..<end` of the data section belong to no tensor (data missing from the header).
    case gapInData(file: String, begin: Int, end: Int)
    /// The data section is longer than the tensors the header lists.
    case trailingData(file: String, dataSize: Int, usedBytes: Int)
    /// A tensor cannot be written under this name (`__metadata__` is reserved).
    case reservedName(file: String, name: String)

    public var description: String {
        switch self {
        case .readFailed(let file, let reason):
            "cannot read safetensors file '\(file)': \(reason)"
        case .writeFailed(let file, let reason):
            "cannot write safetensors file '\(file)': \(reason)"
        case .fileTooShort(let file, let byteCount):
            "safetensors file '\(file)' is \(byteCount) bytes long; it needs at least 8 (the header size)"
        case .headerTooLarge(let file, let headerSize, let limit):
            "safetensors file '\(file)' declares a \(headerSize)-byte header, above the \(limit)-byte limit (not a safetensors file?)"
        case .headerSizeExceedsFile(let file, let headerSize, let fileSize):
            "safetensors file '\(file)' declares a \(headerSize)-byte header but the file is only \(fileSize) bytes (truncated, or not a safetensors file)"
        case .headerNotJSON(let file, let reason):
            "safetensors file '\(file)': the header is not valid JSON: \(reason)"
        case .invalidEntry(let file, let name, let reason):
            "safetensors file '\(file)', tensor '\(name)': \(reason)"
        case .invalidMetadata(let file, let reason):
            "safetensors file '\(file)': invalid __metadata__: \(reason)"
        case .duplicateTensor(let file, let name):
            "safetensors file '\(file)' lists tensor '\(name)' more than once"
        case .unknownDType(let file, let name, let dtype):
            "safetensors file '\(file)', tensor '\(name)': unknown dtype '\(dtype)' (known: \(HostTensor.DType.allCases.map(\.rawValue).joined(separator: ", ")))"
        case .offsetsOutOfRange(let file, let name, let begin, let end, let dataSize):
            "safetensors file '\(file)', tensor '\(name)': data_offsets [\(begin), \(end)] reach past the end of the \(dataSize)-byte data section (truncated file?)"
        case .sizeMismatch(let file, let name, let dtype, let shape, let expected, let found):
            "safetensors file '\(file)', tensor '\(name)': a \(dtype) tensor of shape \(shape) needs \(expected) bytes, but data_offsets span \(found)"
        case .overlappingData(let file, let name, let other):
            "safetensors file '\(file)': the data of tensors '\(other)' and '\(name)' overlap"
        case .gapInData(let file, let begin, let end):
            "safetensors file '\(file)': data bytes \(begin)..<\(end) belong to no tensor (missing from the header?)"
        case .trailingData(let file, let dataSize, let usedBytes):
            "safetensors file '\(file)': the data section has \(dataSize) bytes but the tensors use only \(usedBytes)"
        case .reservedName(let file, let name):
            "cannot write safetensors file '\(file)': '\(name)' is reserved and cannot name a tensor"
        }
    }
}
