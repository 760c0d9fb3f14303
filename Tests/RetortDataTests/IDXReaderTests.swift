import XCTest
@testable import RetortData

final class IDXReaderTests: XCTestCase {
    private func writePair(_ files: TestFiles, count: Int, labelCount: Int? = nil, rows: Int = 5, columns: Int = 3,
                           gzip: Bool, labels: [UInt8]? = nil) throws -> (images: String, labels: String, pixels: [UInt8], labelBytes: [UInt8]) {
        let pixels = testPixels(count * rows * columns, seed: 3)
        let labelBytes = labels ?? (0..<(labelCount ?? count)).map { UInt8($0 % 10) }
        let suffix = gzip ? ".gz" : ""
        let images = try files.write("train-images-idx3-ubyte" + suffix,
                                     idxBytes(magic: 0x803, dimensions: [count, rows, columns], payload: pixels))
        let labelPath = try files.write("train-labels-idx1-ubyte" + suffix,
                                        idxBytes(magic: 0x801, dimensions: [labelBytes.count], payload: labelBytes))
        return (images, labelPath, pixels, labelBytes)
    }

    func testReadsRawAndGzip() throws {
        for gzip in [false, true] {
            let files = try TestFiles()
            let written = try writePair(files, count: 7, gzip: gzip)
            let dataset = try Dataset.idx(images: written.images, labels: written.labels, name: "tiny", classes: 10)
            XCTAssertEqual(dataset.count, 7)
            XCTAssertEqual([dataset.channels, dataset.height, dataset.width], [1, 5, 3])
            XCTAssertEqual(dataset.images, written.pixels)
            XCTAssertEqual(dataset.labels, written.labelBytes.map(Int.init))
            XCTAssertEqual(Array(dataset.image(at: 2)), Array(written.pixels[30..<45]))
        }
    }

    func testInfersClassesAndMeasuresNormalization() throws {
        let files = try TestFiles()
        let written = try writePair(files, count: 4, gzip: false, labels: [0, 2, 1, 2])
        let dataset = try Dataset.idx(images: written.images, labels: written.labels, name: "tiny")
        XCTAssertEqual(dataset.classes, 3)
        let values = written.pixels.map { Double($0) / 255 }
        let mean = values.reduce(0, +) / Double(values.count)
        XCTAssertEqual(Double(dataset.normalization.mean[0]), mean, accuracy: 1e-5)
    }

    func testWrongMagic() throws {
        let files = try TestFiles()
        let written = try writePair(files, count: 3, gzip: true)
        // An image file where a label file is expected, and the reverse.
        XCTAssertDataError(try IDXReader.readImages(at: written.labels),
                           .badMagic(file: "train-labels-idx1-ubyte.gz", found: 0x801, expected: 0x803, kind: "IDX image file"),
                           mentions: "train-labels-idx1-ubyte.gz: magic 0x00000801 is not an IDX image file (0x00000803)")
        XCTAssertDataError(try IDXReader.readLabels(at: written.images, classes: 10),
                           .badMagic(file: "train-images-idx3-ubyte.gz", found: 0x803, expected: 0x801, kind: "IDX label file"),
                           mentions: "train-images-idx3-ubyte.gz")
    }

    func testTruncatedAndTrailing() throws {
        let files = try TestFiles()
        let full = idxBytes(magic: 0x803, dimensions: [4, 5, 3], payload: testPixels(60, seed: 1))
        let short = try files.write("short-images.gz", Array(full.dropLast(7)))
        XCTAssertDataError(try IDXReader.readImages(at: short),
                           .truncated(file: "short-images.gz", expectedBytes: 76, actualBytes: 69), mentions: "short-images.gz")
        let header = try files.write("header-only", Array(full.prefix(10)))
        XCTAssertDataError(try IDXReader.readImages(at: header),
                           .truncated(file: "header-only", expectedBytes: 16, actualBytes: 10), mentions: "header-only")
        let long = try files.write("long-images", full + [1, 2])
        XCTAssertDataError(try IDXReader.readImages(at: long),
                           .trailingBytes(file: "long-images", expectedBytes: 76, actualBytes: 78), mentions: "long-images")
    }

    func testTruncatedGzipStream() throws {
        let files = try TestFiles()
        let path = try files.write("cut.gz", idxBytes(magic: 0x803, dimensions: [50, 28, 28], payload: testPixels(50 * 784, seed: 9)))
        let compressed = try Data(contentsOf: URL(fileURLWithPath: path))
        try compressed.prefix(compressed.count / 2).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try IDXReader.readImages(at: path)) { error in
            guard case DataError.unreadable(let file, let reason)? = error as? DataError else {
                return XCTFail("unexpected \(error)")
            }
            XCTAssertEqual(file, "cut.gz")
            XCTAssertTrue(reason.contains("truncated"), reason)
        }
    }

    func testLabelOutOfRange() throws {
        let files = try TestFiles()
        let written = try writePair(files, count: 4, gzip: false, labels: [1, 2, 10, 3])
        XCTAssertDataError(try Dataset.idx(images: written.images, labels: written.labels, name: "x", classes: 10),
                           .labelOutOfRange(file: "train-labels-idx1-ubyte", index: 2, label: 10, classes: 10),
                           mentions: "label 10 at index 2")
    }

    func testCountMismatch() throws {
        let files = try TestFiles()
        let written = try writePair(files, count: 4, labelCount: 5, gzip: true)
        XCTAssertDataError(try Dataset.idx(images: written.images, labels: written.labels, name: "x", classes: 10),
                           .countMismatch(imagesFile: "train-images-idx3-ubyte.gz", images: 4,
                                          labelsFile: "train-labels-idx1-ubyte.gz", labels: 5),
                           mentions: "train-labels-idx1-ubyte.gz")
    }

    func testEmptyImageSizeAndMissingFile() throws {
        let files = try TestFiles()
        let path = try files.write("flat", idxBytes(magic: 0x803, dimensions: [2, 0, 3], payload: []))
        XCTAssertDataError(try IDXReader.readImages(at: path),
                           .badDimensions(file: "flat", reason: "image size 0×3 is empty"), mentions: "flat")
        XCTAssertDataError(try IDXReader.readImages(at: files.path("absent.gz")),
                           .missingFile(path: files.path("absent.gz")), mentions: "absent.gz")
    }

    func testMNISTFromDirectoryPrefersGzipAndFallsBackToRaw() throws {
        let files = try TestFiles()
        let pixels = testPixels(3 * 784, seed: 5)
        try files.write("t10k-images-idx3-ubyte", idxBytes(magic: 0x803, dimensions: [3, 28, 28], payload: pixels))
        try files.write("t10k-labels-idx1-ubyte.gz", idxBytes(magic: 0x801, dimensions: [3], payload: [7, 0, 9]))
        let dataset = try Dataset.load(.mnist, split: .test, directory: files.directory.path)
        XCTAssertEqual(dataset.labels, [7, 0, 9])
        XCTAssertEqual(dataset.images, pixels)
        XCTAssertEqual(dataset.normalization, Normalization(mean: [0.1307], std: [0.3081]))
        XCTAssertDataError(try Dataset.load(.mnist, split: .test), .dataDirectoryRequired(dataset: "mnist"), mentions: "mnist")
        XCTAssertDataError(try DatasetKind(name: "imagenet"), .unknownDataset("imagenet"), mentions: "imagenet")
    }

    // MARK: Headers that claim more than the file holds are refused before anything is read

    /// The fuzzer's first find: sizes whose product overflows trapped the reader.
    func testFuzzedDimensionsWhoseProductOverflows() throws {
        let files = try TestFiles()
        let input = try fuzzInput("idx", "crash-dimension-product-overflow")
        XCTAssertEqual(input.mode & 1, 1, "the fuzzer read this input gzip-compressed")
        let path = try files.write("overflow.gz", input.bytes)
        XCTAssertDataError(try IDXReader.readImages(at: path),
                           .badDimensions(file: "overflow.gz",
                                          reason: "4294967040 images of 1409286144×136 bytes is more than can be addressed"),
                           mentions: "more than can be addressed")
        let raw = try files.write("overflow", idxBytes(magic: 0x803, dimensions: [0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF], payload: []))
        XCTAssertDataError(try IDXReader.readImages(at: raw),
                           .badDimensions(file: "overflow",
                                          reason: "4294967295 images of 4294967295×4294967295 bytes is more than can be addressed"),
                           mentions: "overflow")
    }

    func testRawHeaderClaimingMoreThanTheFileIsTruncated() throws {
        let files = try TestFiles()
        let images = try files.write("huge-images", idxBytes(magic: 0x803, dimensions: [4_000_000_000, 28, 28], payload: [1, 2, 3]))
        XCTAssertDataError(try IDXReader.readImages(at: images),
                           .truncated(file: "huge-images", expectedBytes: 16 + 4_000_000_000 * 784, actualBytes: 19),
                           mentions: "huge-images")
        let labels = try files.write("huge-labels", idxBytes(magic: 0x801, dimensions: [0xFFFF_FFFF], payload: [1]))
        XCTAssertDataError(try IDXReader.readLabels(at: labels, classes: 10),
                           .truncated(file: "huge-labels", expectedBytes: 8 + 0xFFFF_FFFF, actualBytes: 9), mentions: "huge-labels")
    }

    func testGzipHeaderClaimingMoreThanDeflateCanHoldIsRefusedUndecompressed() throws {
        let files = try TestFiles()
        let path = try files.write("claims.gz", idxBytes(magic: 0x803, dimensions: [1_000_000, 28, 28], payload: testPixels(784, seed: 2)))
        let compressed = try Data(contentsOf: URL(fileURLWithPath: path)).count
        let error = DataError.exceedsCompressedSize(file: "claims.gz", expectedBytes: 16 + 784_000_000, compressedBytes: compressed)
        XCTAssertDataError(try IDXReader.readImages(at: path), error, mentions: "the header is corrupt")
        XCTAssertTrue(error.description.contains("more than a \(compressed)-byte gzip file can hold (at most \(compressed * 1032)"),
                      error.description)
    }

    func testGzipHoldingMoreThanItsHeaderIsTrailingData() throws {
        // 4 MiB of zeros compress to a few KB: the reader stops keeping bytes at the header's size.
        let files = try TestFiles()
        let zeros = [UInt8](repeating: 0, count: 1 << 22)
        let path = try files.write("bomb.gz", idxBytes(magic: 0x801, dimensions: [3], payload: [1, 2, 3] + zeros))
        XCTAssertDataError(try IDXReader.readLabels(at: path, classes: 10),
                           .trailingBytes(file: "bomb.gz", expectedBytes: 11, actualBytes: 11 + (1 << 22)), mentions: "trailing data")
    }
}
