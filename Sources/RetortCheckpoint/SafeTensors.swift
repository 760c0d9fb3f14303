import Foundation

/// The tensors and metadata of one safetensors file (https://github.com/huggingface/safetensors),
/// the checkpoint format Retort shares with PyTorch (`safetensors.torch.save_file(model.state_dict())`).
///
/// Layout: an 8-byte little-endian header size N; N bytes of UTF-8 JSON mapping each tensor name
/// to `{"dtype", "shape", "data_offsets": [begin, end]}` (offsets relative to the end of the
/// header) plus an optional `"__metadata__"` object of strings; then the packed little-endian data.
///
/// Reading validates everything the reference implementation does (and names the file and tensor
/// in each error); writing produces the reference implementation's bytes: tensors ordered by
/// descending dtype size, then by name, the header padded with spaces to a multiple of 8, and the
/// file replaced atomically.
///
/// ```swift
/// let checkpoint = try SafeTensors(contentsOf: url)
/// try checkpoint.checkShapes(against: model.expectedShapes, source: url.path)
/// let weight = try checkpoint["conv1.weight"]!.floats()
/// ```
public struct SafeTensors: Equatable, Sendable {
    /// The tensors, by name (PyTorch `state_dict` keys such as `layer1.0.conv1.weight`).
    public var tensors: [String: HostTensor]
    /// The `__metadata__` strings (e.g. `["format": "pt"]`); written only when not empty.
    public var metadata: [String: String]

    /// The reference implementation refuses headers above 100 MB; so does this one.
    public static let maximumHeaderSize = 100_000_000

    /// The name the header reserves for the metadata object.
    public static let metadataKey = "__metadata__"

    public init(tensors: [String: HostTensor] = [:], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    /// The tensor named `name`, if present.
    public subscript(name: String) -> HostTensor? {
        get { tensors[name] }
        set { tensors[name] = newValue }
    }

    /// The tensor names, sorted.
    public var names: [String] { tensors.keys.sorted() }

    // MARK: Reading

    /// Reads and validates the file at `url`.
    public init(contentsOf url: URL) throws(SafeTensorsError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw .readFailed(file: url.path, reason: "no such file")
        }
        guard !isDirectory.boolValue else { throw .readFailed(file: url.path, reason: "it is a directory") }
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .mappedIfSafe)
        } catch {
            throw .readFailed(file: url.path, reason: Self.reason(error))
        }
        try self.init(data: data, source: url.path)
    }

    /// Parses and validates the bytes of a safetensors file; `source` names them in errors.
    public init(data: Data, source: String = "<memory>") throws(SafeTensorsError) {
        let parsed = data.withUnsafeBytes { raw in
            Result { () throws(SafeTensorsError) in try Self.parse(raw, file: source) }
        }
        self = try parsed.get()
    }

    private struct Entry {
        var name: String
        var dtype: HostTensor.DType
        var shape: [Int]
        var begin: Int
        var end: Int
    }

    private static func parse(_ raw: UnsafeRawBufferPointer, file: String) throws(SafeTensorsError) -> SafeTensors {
        guard raw.count >= 8 else { throw .fileTooShort(file: file, byteCount: raw.count) }
        let declaredSize = UInt64(littleEndian: raw.loadUnaligned(as: UInt64.self))
        guard declaredSize <= UInt64(raw.count - 8) else {
            throw .headerSizeExceedsFile(file: file, headerSize: declaredSize, fileSize: raw.count)
        }
        guard declaredSize <= UInt64(maximumHeaderSize) else {
            throw .headerTooLarge(file: file, headerSize: declaredSize, limit: maximumHeaderSize)
        }
        let headerSize = Int(declaredSize)
        let json: HeaderJSON
        do {
            json = try HeaderJSON.parse(raw[8..<8 + headerSize])
        } catch {
            throw .headerNotJSON(file: file, reason: error.message)
        }
        guard case .object(let members) = json else {
            throw .headerNotJSON(file: file, reason: "the header is \(json.kind), not an object of tensors")
        }

        let dataStart = 8 + headerSize
        let dataSize = raw.count - dataStart
        var names = Set<String>()
        var entries: [Entry] = []
        var metadata: [String: String] = [:]
        for (name, value) in members {
            guard names.insert(name).inserted else {
                if name == metadataKey { throw .invalidMetadata(file: file, reason: "it appears more than once") }
                throw .duplicateTensor(file: file, name: name)
            }
            if name == metadataKey {
                metadata = try parseMetadata(value, file: file)
            } else {
                entries.append(try parseEntry(name: name, value, dataSize: dataSize, file: file))
            }
        }

        // The data section must be covered exactly once, in offset order.
        entries.sort { ($0.begin, $0.end) < ($1.begin, $1.end) }
        var cursor = 0
        var previous: String?
        for entry in entries {
            if entry.begin < cursor, let previous {
                throw .overlappingData(file: file, name: entry.name, other: previous)
            }
            if entry.begin > cursor { throw .gapInData(file: file, begin: cursor, end: entry.begin) }
            cursor = entry.end
            previous = entry.name
        }
        if cursor < dataSize { throw .trailingData(file: file, dataSize: dataSize, usedBytes: cursor) }

        var tensors: [String: HostTensor] = [:]
        tensors.reserveCapacity(entries.count)
        for entry in entries {
            let bytes = Array(raw[dataStart + entry.begin..<dataStart + entry.end])
            do {
                tensors[entry.name] = try HostTensor(dtype: entry.dtype, shape: entry.shape, bytes: bytes)
            } catch {
                // parseEntry checked the size already; keep the typed error path anyway.
                throw .invalidEntry(file: file, name: entry.name, reason: error.description)
            }
        }
        return SafeTensors(tensors: tensors, metadata: metadata)
    }

    private static func parseMetadata(_ value: HeaderJSON, file: String) throws(SafeTensorsError) -> [String: String] {
        guard case .object(let members) = value else {
            throw .invalidMetadata(file: file, reason: "expected an object of strings, found \(value.kind)")
        }
        var metadata: [String: String] = [:]
        for (key, value) in members {
            guard case .string(let text) = value else {
                throw .invalidMetadata(file: file, reason: "the value of '\(key)' is \(value.kind), not a string")
            }
            guard metadata.updateValue(text, forKey: key) == nil else {
                throw .invalidMetadata(file: file, reason: "key '\(key)' appears more than once")
            }
        }
        return metadata
    }

    private static func parseEntry(name: String, _ value: HeaderJSON, dataSize: Int, file: String) throws(SafeTensorsError) -> Entry {
        func invalid(_ reason: String) -> SafeTensorsError { .invalidEntry(file: file, name: name, reason: reason) }
        guard case .object(let fields) = value else {
            throw invalid("expected an object with dtype, shape and data_offsets, found \(value.kind)")
        }
        var byName: [String: HeaderJSON] = [:]
        for (key, field) in fields {
            guard byName.updateValue(field, forKey: key) == nil else { throw invalid("field '\(key)' appears more than once") }
        }
        guard let dtypeField = byName["dtype"] else { throw invalid("missing field 'dtype'") }
        guard case .string(let dtypeName) = dtypeField else { throw invalid("'dtype' is \(dtypeField.kind), not a string") }
        guard let dtype = HostTensor.DType(rawValue: dtypeName) else {
            throw .unknownDType(file: file, name: name, dtype: dtypeName)
        }
        guard let shapeField = byName["shape"] else { throw invalid("missing field 'shape'") }
        guard case .array(let dimensions) = shapeField,
              case let shape = dimensions.compactMap(\.nonNegativeInteger), shape.count == dimensions.count else {
            throw invalid("'shape' must be an array of non-negative integers, found \(shapeField.text)")
        }
        guard let offsetsField = byName["data_offsets"] else { throw invalid("missing field 'data_offsets'") }
        guard case .array(let offsetValues) = offsetsField, offsetValues.count == 2,
              let begin = offsetValues[0].nonNegativeInteger, let end = offsetValues[1].nonNegativeInteger else {
            throw invalid("'data_offsets' must be two non-negative integers [begin, end], found \(offsetsField.text)")
        }
        guard begin <= end else { throw invalid("data_offsets [\(begin), \(end)] end before they begin") }
        guard end <= dataSize else {
            throw .offsetsOutOfRange(file: file, name: name, begin: begin, end: end, dataSize: dataSize)
        }
        guard let expected = HostTensor.byteCount(dtype: dtype, shape: shape) else {
            throw invalid("shape \(shape) has more elements than can be addressed")
        }
        guard expected == end - begin else {
            throw .sizeMismatch(file: file, name: name, dtype: dtype, shape: shape, expectedBytes: expected, foundBytes: end - begin)
        }
        return Entry(name: name, dtype: dtype, shape: shape, begin: begin, end: end)
    }

    /// A readable reason from a Foundation or POSIX error.
    static func reason(_ error: any Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if nsError.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(nsError.code))) }
        return nsError.localizedDescription
    }
}
