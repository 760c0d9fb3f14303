/// Reads the CIFAR binary formats: fixed-size records of label byte(s) followed by 3072 pixel
/// bytes (1024 red, 1024 green, 1024 blue; 32×32 row-major), which is already CHW.
public enum CIFARReader {
    /// Bytes of one image: 3 × 32 × 32.
    public static let imageBytes = 3 * 32 * 32

    /// The most records one file may hold: twice CIFAR-100's `train.bin` (50,000), the largest
    /// CIFAR file. A larger file (or a gzip file that decompresses to more) is refused before its
    /// records are read, so a corrupt or hostile file cannot exhaust memory.
    public static let maximumRecordsPerFile = 100_000

    /// Which CIFAR-100 label to use: the 20 superclasses or the 100 classes.
    public enum LabelGranularity: String, Sendable, CaseIterable {
        case coarse, fine
    }

    /// Records of CIFAR-10 files (`data_batch_1.bin`…, `test_batch.bin`): 1 label byte + 3072 pixels.
    public static func readCIFAR10(at paths: [String]) throws -> (pixels: [UInt8], labels: [Int]) {
        try read(paths, labelBytes: 1, labelOffset: 0, classes: 10)
    }

    /// Records of CIFAR-100 files (`train.bin`, `test.bin`): coarse label, fine label, 3072 pixels.
    public static func readCIFAR100(at paths: [String], labels: LabelGranularity = .fine) throws
        -> (pixels: [UInt8], labels: [Int]) {
        switch labels {
        case .coarse: return try read(paths, labelBytes: 2, labelOffset: 0, classes: 20)
        case .fine: return try read(paths, labelBytes: 2, labelOffset: 1, classes: 100)
        }
    }

    private static func read(_ paths: [String], labelBytes: Int, labelOffset: Int, classes: Int) throws
        -> (pixels: [UInt8], labels: [Int]) {
        var pixels: [UInt8] = []
        var labels: [Int] = []
        for path in paths {
            var file = try FileBytes(contentsOf: path)
            try read(&file, labelBytes: labelBytes, labelOffset: labelOffset, classes: classes, into: &pixels, labels: &labels)
        }
        return (pixels, labels)
    }

    /// Appends the records of one file to `pixels` and `labels`. The file's size is checked before
    /// its records are copied: at most `maximumRecords` records (a gzip file is decompressed no
    /// further than that), and a whole number of them.
    static func read(_ file: inout FileBytes, labelBytes: Int, labelOffset: Int, classes: Int,
                     into pixels: inout [UInt8], labels: inout [Int], maximumRecords: Int = maximumRecordsPerFile) throws(DataError) {
        let recordSize = labelBytes + imageBytes
        let limit = maximumRecords * recordSize
        if !file.isCompressed, file.maximumRemainingBytes > limit {
            throw .tooManyRecords(file: file.name, limit: maximumRecords)
        }
        let bytes = try file.read(upTo: limit + 1)
        guard bytes.count <= limit else { throw .tooManyRecords(file: file.name, limit: maximumRecords) }
        guard !bytes.isEmpty else {
            throw .badDimensions(file: file.name, reason: "empty file, no records")
        }
        guard bytes.count % recordSize == 0 else {
            throw .partialRecord(file: file.name, bytes: bytes.count, recordSize: recordSize)
        }
        let records = bytes.count / recordSize
        for r in 0..<records {
            let label = Int(bytes[r * recordSize + labelOffset])
            guard label < classes else {
                throw .labelOutOfRange(file: file.name, index: r, label: label, classes: classes)
            }
        }
        pixels.reserveCapacity(pixels.count + records * imageBytes)
        labels.reserveCapacity(labels.count + records)
        bytes.withUnsafeBufferPointer { buffer in
            for r in 0..<records {
                let start = r * recordSize + labelBytes
                pixels.append(contentsOf: buffer[start..<(start + imageBytes)])
                labels.append(Int(buffer[r * recordSize + labelOffset]))
            }
        }
    }
}
