import CZlib
import Foundation
import XCTest
@testable import RetortData

final class ImageDecoderTests: XCTestCase {
    private let image = DecodedImage(width: 4, height: 3, channels: 3, pixels: testPixels(36, seed: 5))

    /// The format comes from the first bytes: a PNG called `.jpg` and a JPEG called `.png` both decode.
    func testFormatComesFromTheSignatureNotTheName() throws {
        let files = try TestFiles()
        let png = try files.write("really-a-png.jpg", ImageEncoder.png(image))
        XCTAssertEqual(try ImageDecoder.decode(contentsOf: png, channels: 3), image)
        let jpeg = try files.write("really-a-jpeg.png", ImageEncoder.jpeg(image, quality: 90))
        let decoded = try ImageDecoder.decode(contentsOf: jpeg, channels: 3)
        XCTAssertEqual([decoded.width, decoded.height, decoded.channels], [4, 3, 3])
        XCTAssertEqual(ImageDecoder.Format(signature: ImageEncoder.png(image)), .png)
        XCTAssertEqual(ImageDecoder.Format(signature: try ImageEncoder.jpeg(image, quality: 90)), .jpeg)
    }

    func testTextFileNamedJPEGNamesItsPath() throws {
        let files = try TestFiles()
        let path = try files.write("notes.jpg", Array("class,label\ncat,1\n".utf8))
        XCTAssertDataError(try ImageDecoder.decode(contentsOf: path, channels: 3),
                           .notAnImage(path: path, reason: "it starts with 63 6c 61 73 73 2c 6c 61, the signature of neither"),
                           mentions: "\(path): not a JPEG or PNG image")
    }

    func testEmptyFileNamesItsPath() throws {
        let files = try TestFiles()
        let path = try files.write("empty.png", [])
        XCTAssertDataError(try ImageDecoder.decode(contentsOf: path, channels: 1),
                           .notAnImage(path: path, reason: "the file is empty"), mentions: "\(path): not a JPEG or PNG image")
    }

    func testMissingFileAndDirectory() throws {
        let files = try TestFiles()
        let missing = files.path("gone.jpg")
        XCTAssertDataError(try ImageDecoder.decode(contentsOf: missing, channels: 3), .missingFile(path: missing), mentions: missing)
        XCTAssertDataError(try ImageDecoder.decode(contentsOf: files.directory.path, channels: 3),
                           .notAnImage(path: files.directory.path, reason: "it is a directory"), mentions: files.directory.path)
    }

    /// Headers claiming more pixels than PIL's decompression-bomb limit are refused before decoding.
    func testHugeHeadersAreRefused() throws {
        var jpeg = try ImageEncoder.jpeg(image, quality: 90)
        let frame = try XCTUnwrap((0..<(jpeg.count - 1)).first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xC0 })
        jpeg.replaceSubrange((frame + 5)...(frame + 8), with: [0xEA, 0x60, 0xEA, 0x60])         // 60000 × 60000
        XCTAssertDataError(try ImageDecoder.decode(jpeg, path: "bomb.jpg", channels: 3),
                           .corruptImage(path: "bomb.jpg", reason: "a JPEG of 60000 × 60000 pixels is more than the 178956970 "
                                         + "allowed (a decompression bomb, or a corrupt header)"), mentions: "bomb.jpg")
        var png = ImageEncoder.png(image)
        png.replaceSubrange(16..<24, with: [0, 0, 0x4E, 0x20, 0, 0, 0x27, 0x10])                // 20000 × 10000
        let crc = png[12..<29].withContiguousStorageIfAvailable { crc32(0, $0.baseAddress, 17) } ?? 0
        png.replaceSubrange(29..<33, with: [24, 16, 8, 0].map { UInt8((crc >> $0) & 0xFF) })
        XCTAssertDataError(try ImageDecoder.decode(png, path: "bomb.png", channels: 3),
                           .corruptImage(path: "bomb.png", reason: "a PNG of 20000 × 10000 pixels is more than the 178956970 "
                                         + "allowed (a decompression bomb, or a corrupt header)"), mentions: "bomb.png")
    }

    func testChannelsOtherThanOneOrThreeAreRefused() throws {
        XCTAssertDataError(try ImageDecoder.decode(ImageEncoder.png(image), path: "a.png", channels: 4),
                           .invalidArgument("a.png: an image is decoded to 1 or 3 channels, not 4"), mentions: "a.png")
    }

    /// One decoder reads many files in turn, JPEG and PNG mixed, as a loader thread does.
    func testOneDecoderReadsManyFiles() throws {
        let decoder = ImageDecoder()
        for k in 0..<6 {
            let picture = DecodedImage(width: 5 + k, height: 4, channels: 3, pixels: testPixels(3 * 4 * (5 + k), seed: UInt64(k)))
            let bytes = k % 2 == 0 ? ImageEncoder.png(picture) : try ImageEncoder.jpeg(picture, quality: 80)
            let decoded = try decoder.decode(bytes, path: "\(k)", channels: 3)
            XCTAssertEqual([decoded.width, decoded.height], [5 + k, 4])
            if k % 2 == 0 { XCTAssertEqual(decoded, picture) }
        }
    }
}
