import Foundation

/// Reads IDX files, the MNIST / Fashion-MNIST format: a big-endian header (magic `0x0000 08 0d`,
/// `08` = unsigned bytes, `d` = number of dimensions; then `d` 32-bit sizes) followed by the data.
/// Images are `0x00000803` (count, rows, columns), labels `0x00000801` (count). gzip files are
/// decompressed on the fly.
///
/// The header is checked against the file before the data is read: sizes whose product overflows,
/// or that describe more bytes than the file holds (or, gzip-compressed, could hold at deflate's
/// largest ratio), are refused without allocating or decompressing what they claim.
public enum IDXReader {
    /// The magic number of an unsigned-byte IDX file with three dimensions (images).
    public static let imageMagic: UInt32 = 0x0000_0803
    /// The magic number of an unsigned-byte IDX file with one dimension (labels).
    public static let labelMagic: UInt32 = 0x0000_0801

    /// Images from an IDX image file: `count` images of `rows × columns` bytes, row-major.
    public static func readImages(at path: String) throws -> (count: Int, rows: Int, columns: Int, pixels: [UInt8]) {
        var file = try FileBytes(contentsOf: path)
        return try readImages(&file)
    }

    /// Labels from an IDX label file, each checked to lie in `0..<classes`.
    public static func readLabels(at path: String, classes: Int) throws -> [Int] {
        var file = try FileBytes(contentsOf: path)
        return try readLabels(&file, classes: classes)
    }

    static func readImages(_ file: inout FileBytes) throws(DataError) -> (count: Int, rows: Int, columns: Int, pixels: [UInt8]) {
        let dims = try header(&file, magic: imageMagic, dimensions: 3, kind: "IDX image file")
        let (count, rows, columns) = (dims[0], dims[1], dims[2])
        guard rows > 0, columns > 0 else {
            throw .badDimensions(file: file.name, reason: "image size \(rows)×\(columns) is empty")
        }
        let (imageSize, overflow) = rows.multipliedReportingOverflow(by: columns)
        let (payload, countOverflow) = count.multipliedReportingOverflow(by: imageSize)
        guard !overflow, !countOverflow else {
            throw .badDimensions(file: file.name, reason: "\(count) images of \(rows)×\(columns) bytes is more than can be addressed")
        }
        let pixels = try data(&file, headerBytes: 16, payload: payload)
        return (count, rows, columns, pixels)
    }

    static func readLabels(_ file: inout FileBytes, classes: Int) throws(DataError) -> [Int] {
        let dims = try header(&file, magic: labelMagic, dimensions: 1, kind: "IDX label file")
        let bytes = try data(&file, headerBytes: 8, payload: dims[0])
        var labels = [Int](repeating: 0, count: bytes.count)
        for (i, byte) in bytes.enumerated() {
            let label = Int(byte)
            guard label < classes else {
                throw .labelOutOfRange(file: file.name, index: i, label: label, classes: classes)
            }
            labels[i] = label
        }
        return labels
    }

    private static func header(_ file: inout FileBytes, magic: UInt32, dimensions: Int, kind: String) throws(DataError) -> [Int] {
        let headerBytes = 4 + 4 * dimensions
        let start = try file.read(upTo: 4)
        guard start.count == 4 else {
            throw .truncated(file: file.name, expectedBytes: headerBytes, actualBytes: start.count)
        }
        let found = bigEndian(start, at: 0)
        guard found == magic else {
            throw .badMagic(file: file.name, found: found, expected: magic, kind: kind)
        }
        let sizes = try file.read(upTo: 4 * dimensions)
        guard sizes.count == 4 * dimensions else {
            throw .truncated(file: file.name, expectedBytes: headerBytes, actualBytes: 4 + sizes.count)
        }
        return (0..<dimensions).map { Int(bigEndian(sizes, at: 4 * $0)) }
    }

    /// The `payload` bytes after the header, once the file is known to hold them, and nothing after.
    private static func data(_ file: inout FileBytes, headerBytes: Int, payload: Int) throws(DataError) -> [UInt8] {
        let (expected, overflow) = headerBytes.addingReportingOverflow(payload)
        guard !overflow else { throw .badDimensions(file: file.name, reason: "\(payload) bytes of data is more than can be addressed") }
        guard payload <= file.maximumRemainingBytes else {
            guard file.isCompressed else {
                throw .truncated(file: file.name, expectedBytes: expected, actualBytes: headerBytes + file.maximumRemainingBytes)
            }
            throw .exceedsCompressedSize(file: file.name, expectedBytes: expected, compressedBytes: file.storedByteCount)
        }
        let bytes = try file.read(upTo: payload)
        guard bytes.count == payload else {
            throw .truncated(file: file.name, expectedBytes: expected, actualBytes: headerBytes + bytes.count)
        }
        let trailing = try file.skipRemaining()
        guard trailing == 0 else {
            throw .trailingBytes(file: file.name, expectedBytes: expected, actualBytes: expected + trailing)
        }
        return bytes
    }

    private static func bigEndian(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        (UInt32(bytes[offset]) << 24) | (UInt32(bytes[offset + 1]) << 16)
            | (UInt32(bytes[offset + 2]) << 8) | UInt32(bytes[offset + 3])
    }
}
