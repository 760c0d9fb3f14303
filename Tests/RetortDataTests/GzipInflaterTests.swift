import Foundation
import XCTest
@testable import RetortData

/// gzip data is decompressed in pieces, all of its members, with typed errors naming the file for
/// truncated, corrupt or padded streams.
final class GzipInflaterTests: XCTestCase {
    func testReadsInPiecesAcrossMembers() throws {
        let files = try TestFiles()
        let first = testPixels(5000, seed: 1), second = testPixels(3000, seed: 2)
        // Two members, as `cat a.gz b.gz` makes: gunzip reads both.
        let data = Data(try gzipped(first, in: files) + gzipped(second, in: files))
        let inflater = try GzipInflater(data, name: "two.gz")
        XCTAssertEqual(inflater.maximumRemainingBytes, data.count * 1032)
        XCTAssertEqual(try inflater.read(upTo: 10), Array(first.prefix(10)))
        XCTAssertEqual(try inflater.read(upTo: 6000), Array((first + second)[10..<6010]))
        XCTAssertEqual(try inflater.read(upTo: 10_000), Array((first + second)[6010...]))
        XCTAssertEqual(try inflater.read(upTo: 1), [])
        XCTAssertEqual(inflater.maximumRemainingBytes, 0)
    }

    func testSkipCountsWhatItDoesNotKeep() throws {
        let files = try TestFiles()
        let inflater = try GzipInflater(Data(try gzipped([UInt8](repeating: 7, count: 100_000), in: files)), name: "sevens.gz")
        XCTAssertEqual(try inflater.read(upTo: 3), [7, 7, 7])
        XCTAssertEqual(try inflater.skipRemaining(), 99_997)
    }

    func testTruncatedCorruptAndPaddedStreams() throws {
        let files = try TestFiles()
        let compressed = try gzipped(testPixels(20_000, seed: 3), in: files)
        func error(_ bytes: [UInt8]) -> DataError? {
            do {
                _ = try GzipInflater(Data(bytes), name: "x.gz").skipRemaining()
                return nil
            } catch { return error }
        }
        guard case .unreadable("x.gz", let truncated)? = error(Array(compressed.prefix(compressed.count - 4))) else {
            return XCTFail("a cut trailer is not reported")
        }
        XCTAssertTrue(truncated.hasPrefix("truncated gzip stream"), truncated)
        var flipped = compressed
        flipped[compressed.count / 2] ^= 0xFF
        guard case .unreadable("x.gz", let corrupt)? = error(flipped) else { return XCTFail("a flipped byte is not reported") }
        XCTAssertTrue(corrupt.hasPrefix("corrupt gzip data"), corrupt)
        XCTAssertEqual(error(compressed + [0, 0, 0]), .unreadable(file: "x.gz", reason: "3 bytes after the end of the gzip stream"))
        XCTAssertNil(error(compressed))
    }
}
