import XCTest
@testable import RetortData

final class CIFARReaderTests: XCTestCase {
    private func records(_ labels: [[UInt8]], seed: UInt64) -> (bytes: [UInt8], pixels: [UInt8]) {
        var bytes: [UInt8] = [], pixels: [UInt8] = []
        for (i, label) in labels.enumerated() {
            let image = testPixels(3072, seed: seed &+ UInt64(i))
            bytes += label + image
            pixels += image
        }
        return (bytes, pixels)
    }

    func testCIFAR10TrainConcatenatesFiveBatches() throws {
        let files = try TestFiles()
        var expectedPixels: [UInt8] = [], expectedLabels: [Int] = []
        for b in 1...5 {
            let labels = (0..<b).map { [UInt8(($0 + b) % 10)] }
            let (bytes, pixels) = records(labels, seed: UInt64(b * 100))
            try files.write("data_batch_\(b).bin", bytes)
            expectedPixels += pixels
            expectedLabels += labels.map { Int($0[0]) }
        }
        let (testBytes, _) = records([[3], [8]], seed: 7)
        try files.write("test_batch.bin", testBytes)
        let train = try Dataset.load(.cifar10, split: .train, directory: files.directory.path)
        XCTAssertEqual(train.count, 15)
        XCTAssertEqual([train.classes, train.channels, train.height, train.width], [10, 3, 32, 32])
        XCTAssertEqual(train.labels, expectedLabels)
        XCTAssertEqual(train.images, expectedPixels)
        XCTAssertEqual(train.normalization.mean, [0.4914, 0.4822, 0.4465])
        let test = try Dataset.load(.cifar10, split: .test, directory: files.directory.path, limit: 1)
        XCTAssertEqual(test.labels, [3])
        XCTAssertEqual(test.images.count, 3072)
    }

    func testCIFAR100FineAndCoarse() throws {
        let files = try TestFiles()
        let (bytes, pixels) = records([[4, 99], [19, 0], [0, 42]], seed: 11)
        try files.write("test.bin", bytes)
        let fine = try Dataset.load(.cifar100, split: .test, directory: files.directory.path)
        XCTAssertEqual(fine.labels, [99, 0, 42])
        XCTAssertEqual(fine.classes, 100)
        XCTAssertEqual(fine.images, pixels)
        let coarse = try Dataset.load(.cifar100, split: .test, directory: files.directory.path, cifar100Labels: .coarse)
        XCTAssertEqual(coarse.labels, [4, 19, 0])
        XCTAssertEqual(coarse.classes, 20)
    }

    func testPartialRecord() throws {
        let files = try TestFiles()
        let (bytes, _) = records([[1], [2]], seed: 1)
        let path = try files.write("data_batch_3.bin", Array(bytes.dropLast(1)))
        XCTAssertDataError(try CIFARReader.readCIFAR10(at: [path]),
                           .partialRecord(file: "data_batch_3.bin", bytes: 6145, recordSize: 3073),
                           mentions: "data_batch_3.bin: 6145 bytes is not a whole number of 3073-byte records")
        // CIFAR-10 records read as CIFAR-100 (3074-byte records) are the wrong size too.
        let ten = try files.write("train.bin", bytes)
        XCTAssertDataError(try CIFARReader.readCIFAR100(at: [ten]),
                           .partialRecord(file: "train.bin", bytes: 6146, recordSize: 3074), mentions: "train.bin")
    }

    func testLabelOutOfRangeAndMissingBatch() throws {
        let files = try TestFiles()
        let (bytes, _) = records([[1], [10]], seed: 1)
        let path = try files.write("test_batch.bin", bytes)
        XCTAssertDataError(try CIFARReader.readCIFAR10(at: [path]),
                           .labelOutOfRange(file: "test_batch.bin", index: 1, label: 10, classes: 10), mentions: "test_batch.bin")
        let (coarseBad, _) = records([[20, 5]], seed: 1)
        let hundred = try files.write("test.bin", coarseBad)
        XCTAssertDataError(try CIFARReader.readCIFAR100(at: [hundred], labels: .coarse),
                           .labelOutOfRange(file: "test.bin", index: 0, label: 20, classes: 20), mentions: "test.bin")
        XCTAssertNoThrow(try CIFARReader.readCIFAR100(at: [hundred], labels: .fine))
        XCTAssertDataError(try Dataset.load(.cifar10, split: .train, directory: files.directory.path),
                           .missingFile(path: files.path("data_batch_1.bin")), mentions: "data_batch_1.bin")
    }

    func testMoreRecordsThanTheLimitAreRefusedBeforeTheyAreRead() throws {
        let files = try TestFiles()
        let (bytes, _) = records([[1], [2], [3]], seed: 4)
        for name in ["data_batch_1.bin", "data_batch_1.bin.gz"] {
            var file = try FileBytes(Data(contentsOf: URL(fileURLWithPath: files.write(name, bytes))), name: name)
            var pixels: [UInt8] = [], labels: [Int] = []
            XCTAssertDataError(try CIFARReader.read(&file, labelBytes: 1, labelOffset: 0, classes: 10, into: &pixels, labels: &labels,
                                                    maximumRecords: 2),
                               .tooManyRecords(file: name, limit: 2), mentions: "\(name): more than 2 records")
            XCTAssertTrue(pixels.isEmpty && labels.isEmpty)
        }
        XCTAssertEqual(CIFARReader.maximumRecordsPerFile, 100_000, "twice CIFAR-100's train.bin, the largest CIFAR file")
    }
}
