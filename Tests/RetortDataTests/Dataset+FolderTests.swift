import XCTest
import RetortRandom
@testable import RetortData

final class DatasetFolderTests: XCTestCase {
    /// Mixed JPEG and PNG files and gray and RGB ones make samples of one shape: gray repeated into RGB,
    /// or RGB weighed into gray with `--input 1x…`.
    func testMixedFormatsAndChannelsDecodeToTheAskedShape() throws {
        let files = try TestFiles()
        try files.writeMixedFolder()
        let rgb = try Dataset.folder(files.directory.path, split: .train, shape: (3, 8, 8))
        XCTAssertEqual(rgb.count, 7)
        XCTAssertEqual(rgb.classNames, ["a", "b"])
        XCTAssertEqual(rgb.labels, [0, 0, 0, 0, 1, 1, 1])
        XCTAssertEqual(rgb.normalization, .imageNet)
        let batch = try XCTUnwrap(Array(try DataLoader(dataset: rgb, batchSize: 7, normalization: .identity3).batches(epoch: 0)).first)
        XCTAssertEqual(batch.shape, [7, 3, 8, 8])
        let gray = 3 * 192  // sample 3 (files sort 0.png, 1.png, 2.png, gray.png)
        XCTAssertEqual(batch.images[gray] * 255, 90, accuracy: 1e-3)
        XCTAssertEqual(batch.images[gray + 64] * 255, 90, accuracy: 1e-3, "gray repeats into green")
        XCTAssertEqual(batch.images[4 * 192] * 255, 200, accuracy: 4, "JPEG red, within its compression error")
        let mono = try Dataset.folder(files.directory.path, split: .train, shape: (1, 8, 8))
        XCTAssertEqual(mono.normalization.mean.count, 1)
        let monoBatch = try XCTUnwrap(Array(try DataLoader(dataset: mono, batchSize: 7, normalization: Normalization(mean: [0], std: [1]))
            .batches(epoch: 0)).first)
        XCTAssertEqual(monoBatch.shape, [7, 1, 8, 8])
        // PIL's convert("L"): (299·80 + 587·50 + 114·200 + 500) / 1000 = 76 for image 2 (red 80).
        XCTAssertEqual(monoBatch.images[2 * 64] * 255, 76, accuracy: 1e-3)
        XCTAssertEqual(try Dataset.folder(files.directory.path, split: .test).height, 224, "ImageFolder's default size")
    }

    /// Listing reads each file's first bytes: under `fail` a file that is no JPEG or PNG stops it with
    /// the path; under `skip` it is left out and recorded. An empty file counts as bad.
    func testListingRefusesOrSkipsFilesThatAreNotImages() throws {
        let files = try TestFiles()
        try files.writeMixedFolder()
        let text = try files.writeNested("train/a/notes.jpg", Array("label,file\n".utf8))
        let empty = try files.writeNested("train/b/empty.png", [])
        XCTAssertThrowsError(try Dataset.folder(files.directory.path, split: .train, shape: (3, 8, 8))) { error in
            // notes.jpg (class a) comes before empty.png (class b).
            XCTAssertEqual(error as? DataError, .notAnImage(path: text, reason: "its first bytes are no JPEG or PNG signature"))
            XCTAssert("\(error)".contains(text), "the path is named: \(error)")
        }
        let skipped = try Dataset.folder(files.directory.path, split: .train, shape: (3, 8, 8), badImages: .skip)
        XCTAssertEqual(skipped.count, 7)
        XCTAssertEqual(skipped.files?.skipped.map(\.description).map { $0.hasPrefix(text) || $0.hasPrefix(empty) }, [true, true])
        XCTAssertEqual(skipped.files?.skipped.count, 2)
        XCTAssertEqual(Dataset.signatureProblem(empty), .notAnImage(path: empty, reason: "the file is empty"))
        XCTAssertEqual(try Dataset.folder(files.directory.path, split: .train, shape: (3, 8, 8), limit: 2, badImages: .skip).count, 2)
    }

    /// File-backed training batches (RandomResizedCrop, flips) are the same on any number of threads
    /// and for the same seed, and differ between epochs.
    func testFileBackedBatchesAreTheSameOnAnyNumberOfWorkers() throws {
        let files = try TestFiles()
        for k in 0..<12 {
            let pixels = testPixels(3 * 20 * 14, seed: UInt64(k))
            try files.writeImage("train/c\(k % 3)/\(k).png", DecodedImage(width: 14, height: 20, channels: 3, pixels: pixels))
        }
        let dataset = try Dataset.folder(files.directory.path, split: .train, shape: (3, 8, 8))
        let mode = DataLoader.Mode.train(Augmentation(horizontalFlip: true, randomResizedCrop: RandomResizedCrop()))
        let one = try DataLoader(dataset: dataset, batchSize: 5, mode: mode, seed: 3, prefetch: 0, workers: 1)
        let four = try DataLoader(dataset: dataset, batchSize: 5, mode: mode, seed: 3, workers: 4)
        XCTAssertEqual(Array(four.batches(epoch: 0)), Array(one.batches(epoch: 0)))
        XCTAssertNotEqual(Array(one.batches(epoch: 0)).map(\.images), Array(one.batches(epoch: 1)).map(\.images))
        // Evaluation: Resize(round(8 · 256/224) = 9) then CenterCrop(8): 20×14 → 12×9 (int(9·20/14) = 12), rows 2..<10.
        let test = try DataLoader(dataset: dataset, batchSize: 12, mode: .test, normalization: .identity3, workers: 3)
        let batch = try XCTUnwrap(Array(test.batches(epoch: 0)).first)
        let source = try ImageDecoder.decode(contentsOf: dataset.files!.paths[0], channels: 3)
        let resized = Transforms.resize(source.pixels, channels: 3, height: 20, width: 14, to: (12, 9))
        let expected = Transforms.crop(resized, channels: 3, height: 12, width: 9, size: (8, 8), padding: 0, top: 2, left: 0)
        XCTAssertEqual(batch.images[0..<192].map { UInt8(($0 * 255).rounded()) }, expected)
    }

    /// `--normalization dataset` for a folder: measured on a seeded sample of the training images.
    func testMeasuredNormalizationIsThePixelStatistics() throws {
        let files = try TestFiles()
        try files.writeImage("train/a/0.png", files.flat(red: 0, size: 4))
        try files.writeImage("train/b/0.png", files.flat(red: 255, size: 4))
        let dataset = try Dataset.folder(files.directory.path, split: .train, shape: (3, 4, 4))
        let measured = try dataset.measuredNormalization(seed: 1)
        XCTAssertEqual(measured.mean[0], 0.5, accuracy: 1e-6)
        XCTAssertEqual(measured.std[0], 0.5, accuracy: 1e-6)
        XCTAssertEqual(measured.mean[1], 50 / 255, accuracy: 1e-6)
        XCTAssertEqual(measured.mean[2], 200 / 255, accuracy: 1e-6)
        XCTAssertEqual(measured.std[2], 1e-6, accuracy: 1e-9, "a constant channel gets the floor, not zero")
    }
}
