import Foundation

extension SafeTensors {
    /// The file's bytes, as the reference implementation lays them out: `__metadata__` first (when
    /// not empty, keys sorted), then the tensors ordered by descending dtype (8-byte types first,
    /// so every tensor's data stays aligned) and then by name; compact JSON; the header padded with
    /// spaces to a multiple of 8 bytes.
    public func serialized() throws(SafeTensorsError) -> Data {
        try serialized(file: "<memory>")
    }

    /// Writes the file atomically: the bytes go to a temporary file in the same directory, which
    /// is flushed to disk and then renamed over `url`. If anything fails, the temporary file is
    /// removed and whatever was at `url` before is left untouched.
    public func write(to url: URL) throws(SafeTensorsError) {
        let bytes = try serialized(file: url.path)
        do {
            try AtomicFile.write(bytes, to: url)
        } catch {
            throw .writeFailed(file: url.path, reason: error.reason)
        }
    }

    func serialized(file: String) throws(SafeTensorsError) -> Data {
        if tensors[Self.metadataKey] != nil { throw .reservedName(file: file, name: Self.metadataKey) }
        let ordered = tensors.sorted { left, right in
            left.value.dtype != right.value.dtype
                ? left.value.dtype > right.value.dtype
                : left.key.utf8.lexicographicallyPrecedes(right.key.utf8)
        }
        var members: [(key: String, value: HeaderJSON)] = []
        if !metadata.isEmpty {
            let entries = metadata.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            members.append((Self.metadataKey, .object(entries.map { ($0.key, .string($0.value)) })))
        }
        var offset = 0
        for (name, tensor) in ordered {
            let end = offset + tensor.bytes.count
            members.append((name, .object([
                ("dtype", .string(tensor.dtype.rawValue)),
                ("shape", .array(tensor.shape.map { .number(String($0)) })),
                ("data_offsets", .array([.number(String(offset)), .number(String(end))])),
            ])))
            offset = end
        }
        var header = Array(HeaderJSON.object(members).text.utf8)
        header.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - header.count % 8) % 8))

        var data = Data(capacity: 8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: header)
        for (_, tensor) in ordered { data.append(contentsOf: tensor.bytes) }
        return data
    }
}
