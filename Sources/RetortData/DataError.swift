/// What went wrong while reading a dataset. Every case names the file (its last path component) so
/// the message points at the culprit: `data_batch_3.bin: 30729999 bytes is not a whole number of
/// 3073-byte records`.
public enum DataError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file (or directory) does not exist.
    case missingFile(path: String)
    /// The file exists but could not be read or decompressed.
    case unreadable(file: String, reason: String)
    /// The file is shorter than its header promises.
    case truncated(file: String, expectedBytes: Int, actualBytes: Int)
    /// The file is longer than its header promises.
    case trailingBytes(file: String, expectedBytes: Int, actualBytes: Int)
    /// The leading magic number is not the one this kind of file has.
    case badMagic(file: String, found: UInt32, expected: UInt32, kind: String)
    /// A header dimension is zero or otherwise unusable.
    case badDimensions(file: String, reason: String)
    /// A label is outside `0..<classes`.
    case labelOutOfRange(file: String, index: Int, label: Int, classes: Int)
    /// The image and label files disagree on the number of samples.
    case countMismatch(imagesFile: String, images: Int, labelsFile: String, labels: Int)
    /// A gzip file's header describes more data than the compressed file can hold at deflate's
    /// largest ratio (1032:1): the header is corrupt (refused before anything is decompressed).
    case exceedsCompressedSize(file: String, expectedBytes: Int, compressedBytes: Int)
    /// A fixed-record file holds more records than this format ever has (refused before they are read).
    case tooManyRecords(file: String, limit: Int)
    /// A fixed-record file's size is not a multiple of its record size.
    case partialRecord(file: String, bytes: Int, recordSize: Int)
    /// A dataset name this module does not know.
    case unknownDataset(String)
    /// A dataset that has no default location was asked for without a data directory.
    case dataDirectoryRequired(dataset: String)
    /// An argument that cannot describe a dataset or a loader (limit ≤ 0, batch size ≤ 0, …).
    case invalidArgument(String)
    /// A file read as an image is neither a JPEG nor a PNG (empty, or other bytes); names the whole path.
    case notAnImage(path: String, reason: String)
    /// A JPEG or PNG file that cannot be decoded (truncated, corrupt, too large); names the whole path.
    case corruptImage(path: String, reason: String)

    public var description: String {
        switch self {
        case .missingFile(let path):
            return "\(path): no such file"
        case .unreadable(let file, let reason):
            return "\(file): \(reason)"
        case .truncated(let file, let expected, let actual):
            return "\(file): truncated: \(actual) bytes, the header needs \(expected)"
        case .trailingBytes(let file, let expected, let actual):
            return "\(file): \(actual) bytes, the header describes \(expected) (trailing data)"
        case .badMagic(let file, let found, let expected, let kind):
            return "\(file): magic \(hex(found)) is not an \(kind) (\(hex(expected)))"
        case .badDimensions(let file, let reason):
            return "\(file): \(reason)"
        case .labelOutOfRange(let file, let index, let label, let classes):
            return "\(file): label \(label) at index \(index) is outside 0..<\(classes)"
        case .countMismatch(let imagesFile, let images, let labelsFile, let labels):
            return "\(imagesFile) holds \(images) images but \(labelsFile) holds \(labels) labels"
        case .exceedsCompressedSize(let file, let expected, let compressed):
            return "\(file): the header describes \(expected) bytes, more than a \(compressed)-byte gzip file can hold "
                + "(at most \(compressed.multipliedReportingOverflow(by: GzipInflater.maximumExpansion).partialValue) once "
                + "decompressed): the header is corrupt"
        case .tooManyRecords(let file, let limit):
            return "\(file): more than \(limit) records, more than any file of this format holds (not a dataset file?)"
        case .partialRecord(let file, let bytes, let recordSize):
            return "\(file): \(bytes) bytes is not a whole number of \(recordSize)-byte records"
        case .unknownDataset(let name):
            return "unknown dataset '\(name)' (expected one of: "
                + DatasetKind.allCases.map(\.rawValue).joined(separator: ", ") + ")"
        case .dataDirectoryRequired(let dataset):
            return "\(dataset) has no default location: give its data directory"
        case .invalidArgument(let message):
            return message
        case .notAnImage(let path, let reason):
            return "\(path): not a JPEG or PNG image (\(reason)); remove the file or replace it with an image"
        case .corruptImage(let path, let reason):
            return "\(path): \(reason); remove the file or replace it with a readable copy"
        }
    }
}

private func hex(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
}
