/// Reads IDX files, the MNIST / Fashion-MNIST format: a big-endian header (magic `0x0000 08 0d`,
/// `08` = unsigned bytes, `d` = number of dimensions; then `d` 32-bit sizes) followed by the data.
/// Images are `0x00000803` (count, rows, columns), labels `0x00000801` (count). gzip files are
/// decompressed on the fly.
public enum IDXReader {
    /// The magic number of an unsigned-byte IDX file with three dimensions (images).
    public static let imageMagic: UInt32 = 0x0000_0803
    /// The magic number of an unsigned-byte IDX file with one dimension (labels).
    public static let labelMagic: UInt32 = 0x0000_0801

    /// Images from an IDX image file: `count` images of `rows × columns` bytes, row-major.
    public static func readImages(at path: String) throws -> (count: Int, rows: Int, columns: Int, pixels: [UInt8]) {
        let name = FileBytes.displayName(path)
        let bytes = try FileBytes.read(path)
        let dims = try header(bytes, file: name, magic: imageMagic, dimensions: 3, kind: "IDX image file")
        let (count, rows, columns) = (dims[0], dims[1], dims[2])
        guard rows > 0, columns > 0 else {
            throw DataError.badDimensions(file: name, reason: "image size \(rows)×\(columns) is empty")
        }
        try checkSize(bytes, file: name, headerBytes: 16, payload: count * rows * columns)
        return (count, rows, columns, Array(bytes[16...]))
    }

    /// Labels from an IDX label file, each checked to lie in `0..<classes`.
    public static func readLabels(at path: String, classes: Int) throws -> [Int] {
        let name = FileBytes.displayName(path)
        let bytes = try FileBytes.read(path)
        let dims = try header(bytes, file: name, magic: labelMagic, dimensions: 1, kind: "IDX label file")
        try checkSize(bytes, file: name, headerBytes: 8, payload: dims[0])
        var labels = [Int](repeating: 0, count: dims[0])
        for i in 0..<dims[0] {
            let label = Int(bytes[8 + i])
            guard label < classes else {
                throw DataError.labelOutOfRange(file: name, index: i, label: label, classes: classes)
            }
            labels[i] = label
        }
        return labels
    }

    private static func header(_ bytes: [UInt8], file: String, magic: UInt32, dimensions: Int,
                               kind: String) throws -> [Int] {
        let headerBytes = 4 + 4 * dimensions
        guard bytes.count >= 4 else {
            throw DataError.truncated(file: file, expectedBytes: headerBytes, actualBytes: bytes.count)
        }
        let found = bigEndian(bytes, at: 0)
        guard found == magic else {
            throw DataError.badMagic(file: file, found: found, expected: magic, kind: kind)
        }
        guard bytes.count >= headerBytes else {
            throw DataError.truncated(file: file, expectedBytes: headerBytes, actualBytes: bytes.count)
        }
        return (0..<dimensions).map { Int(bigEndian(bytes, at: 4 + 4 * $0)) }
    }

    private static func checkSize(_ bytes: [UInt8], file: String, headerBytes: Int, payload: Int) throws {
        let expected = headerBytes + payload
        if bytes.count < expected {
            throw DataError.truncated(file: file, expectedBytes: expected, actualBytes: bytes.count)
        }
        if bytes.count > expected {
            throw DataError.trailingBytes(file: file, expectedBytes: expected, actualBytes: bytes.count)
        }
    }

    private static func bigEndian(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        (UInt32(bytes[offset]) << 24) | (UInt32(bytes[offset + 1]) << 16)
            | (UInt32(bytes[offset + 2]) << 8) | UInt32(bytes[offset + 3])
    }
}
