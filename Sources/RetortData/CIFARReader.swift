/// Reads the CIFAR binary formats: fixed-size records of label byte(s) followed by 3072 pixel
/// bytes (1024 red, 1024 green, 1024 blue; 32×32 row-major), which is already CHW.
public enum CIFARReader {
    /// Bytes of one image: 3 × 32 × 32.
    public static let imageBytes = 3 * 32 * 32

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
        let recordSize = labelBytes + imageBytes
        var pixels: [UInt8] = []
        var labels: [Int] = []
        for path in paths {
            let name = FileBytes.displayName(path)
            let bytes = try FileBytes.read(path)
            guard !bytes.isEmpty else {
                throw DataError.badDimensions(file: name, reason: "empty file, no records")
            }
            guard bytes.count % recordSize == 0 else {
                throw DataError.partialRecord(file: name, bytes: bytes.count, recordSize: recordSize)
            }
            let records = bytes.count / recordSize
            pixels.reserveCapacity(pixels.count + records * imageBytes)
            labels.reserveCapacity(labels.count + records)
            bytes.withUnsafeBufferPointer { buffer in
                for r in 0..<records {
                    let start = r * recordSize + labelBytes
                    pixels.append(contentsOf: buffer[start..<(start + imageBytes)])
                }
            }
            for r in 0..<records {
                let label = Int(bytes[r * recordSize + labelOffset])
                guard label < classes else {
                    throw DataError.labelOutOfRange(file: name, index: r, label: label, classes: classes)
                }
                labels.append(label)
            }
        }
        return (pixels, labels)
    }
}
