import XCTest
@testable import RetortData

/// Files that fail to decode while loading (their header passed the listing's check).
final class ImageFilesTests: XCTestCase {
    /// A file whose header passes but whose data is cut short fails while loading: under `skip` the next
    /// decodable file takes its place (its label and index too) and the failure is recorded; under
    /// `fail` its sample is NaN (which stops training) and the failure names the path. Shapes never change.
    func testTruncatedFileIsReplacedOrMadeNaNWhileLoading() throws {
        let files = try TestFiles()
        try files.writeMixedFolder()
        let truncated = try files.writeNested("train/a/3.png", ImageEncoder.png(files.flat(red: 10, size: 8)).prefix(40).map { $0 })
        for policy in [BadImagePolicy.skip, .fail] {
            let dataset = try Dataset.folder(files.directory.path, split: .train, shape: (3, 8, 8), badImages: policy)
            XCTAssertEqual(dataset.count, 8, "the header check passes")
            let loader = try DataLoader(dataset: dataset, batchSize: 8, mode: .train(.none), shuffle: false, normalization: .identity3,
                                        workers: 2)
            let batch = try XCTUnwrap(Array(loader.batches(epoch: 0)).first)
            XCTAssertEqual(batch.shape, [8, 3, 8, 8])
            XCTAssertEqual(dataset.files?.failures.all.map(\.path), [truncated])
            XCTAssert("\(dataset.files!.failures.first!)".contains(truncated))
            let slot = 3  // a/0, a/1, a/2, a/3 (truncated), a/gray, b/…
            if policy == .skip {
                XCTAssertEqual(batch.indices, [0, 1, 2, 4, 4, 5, 6, 7], "the next image stands in")
                XCTAssertEqual(Array(batch.images[(slot * 192)..<((slot + 1) * 192)]), Array(batch.images[(4 * 192)..<(5 * 192)]))
                XCTAssertEqual(batch.labels, [0, 0, 0, 0, 0, 1, 1, 1])
            } else {
                XCTAssert(batch.images[(slot * 192)..<((slot + 1) * 192)].allSatisfy(\.isNaN), "NaN stops training before the step")
                XCTAssert(batch.images[(4 * 192)...].allSatisfy(\.isFinite))
                let test = try DataLoader(dataset: dataset, batchSize: 8, normalization: .identity3)
                let evaluated = try XCTUnwrap(Array(test.batches(epoch: 0)).first)
                XCTAssert(evaluated.images[(slot * 192)..<((slot + 1) * 192)].allSatisfy { $0 == 0 }, "zeros let evaluation finish")
            }
        }
    }

    /// A JPEG cut short does not spoil the JPEGs the same thread decodes after it: only it is recorded.
    func testTruncatedJPEGFailsAloneOnItsThread() throws {
        let files = try TestFiles()
        try files.writeMixedFolder()
        let first = files.directory.appendingPathComponent("train/b/0.jpg")
        let bytes = try Data(contentsOf: first)
        try bytes.prefix(bytes.count / 2).write(to: first)
        let dataset = try Dataset.folder(files.directory.path, split: .train, shape: (3, 8, 8), badImages: .skip)
        let batch = try XCTUnwrap(Array(try DataLoader(dataset: dataset, batchSize: 7, workers: 1).batches(epoch: 0)).first)
        XCTAssertEqual(dataset.files?.failures.all.map(\.path), [first.path])
        XCTAssertEqual(batch.indices, [0, 1, 2, 3, 5, 5, 6])
    }
}
