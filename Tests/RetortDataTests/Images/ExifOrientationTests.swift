import XCTest
@testable import RetortData

final class ExifOrientationTests: XCTestCase {
    /// The stored 3 × 2 picture   1 2 3   and each orientation's upright picture, written out by hand
    ///                            4 5 6   (the EXIF standard's table; PIL's `exif_transpose` agrees).
    private let stored = DecodedImage(width: 3, height: 2, channels: 1, pixels: [1, 2, 3, 4, 5, 6])
    private let upright: [ExifOrientation: [[UInt8]]] = [
        .up: [[1, 2, 3], [4, 5, 6]],
        .upMirrored: [[3, 2, 1], [6, 5, 4]],
        .down: [[6, 5, 4], [3, 2, 1]],
        .downMirrored: [[4, 5, 6], [1, 2, 3]],
        .leftMirrored: [[1, 4], [2, 5], [3, 6]],
        .right: [[4, 1], [5, 2], [6, 3]],
        .rightMirrored: [[6, 3], [5, 2], [4, 1]],
        .left: [[3, 6], [2, 5], [1, 4]],
    ]

    func testEveryOrientationTurnsThePixelsAsTheStandardSays() {
        for orientation in ExifOrientation.allCases {
            let rows = upright[orientation]!
            let turned = orientation.apply(to: stored)
            XCTAssertEqual([turned.width, turned.height], [rows[0].count, rows.count], "\(orientation)")
            XCTAssertEqual(turned.pixels, rows.flatMap { $0 }, "\(orientation)")
        }
    }

    /// A JPEG tagged with each orientation decodes upright: its 3 × 2 blocks of 16 × 16 flat colours land
    /// where the hand-built table puts them.
    func testTaggedJPEGsDecodeUpright() throws {
        let palette: [[UInt8]] = [[230, 20, 20], [20, 230, 20], [20, 20, 230], [230, 230, 20], [20, 230, 230], [230, 20, 230]]
        let (w, h, block) = (48, 32, 16)
        var pixels = [UInt8](repeating: 0, count: 3 * w * h)
        for c in 0..<3 {
            for y in 0..<h {
                for x in 0..<w { pixels[(c * h + y) * w + x] = palette[(y / block) * 3 + x / block][c] }
            }
        }
        let image = DecodedImage(width: w, height: h, channels: 3, pixels: pixels)
        for orientation in ExifOrientation.allCases {
            let file = try ImageEncoder.jpeg(image, quality: 95, orientation: orientation)
            XCTAssertEqual(ExifOrientation(jpeg: file), orientation == .up ? nil : orientation)
            let decoded = try ImageDecoder.decode(file, path: "turned.jpg", channels: 3)
            let rows = upright[orientation]!
            XCTAssertEqual([decoded.width, decoded.height], [rows[0].count * block, rows.count * block], "\(orientation)")
            for (by, row) in rows.enumerated() {
                for (bx, label) in row.enumerated() {
                    let centre = (y: by * block + block / 2, x: bx * block + block / 2)
                    let found = (0..<3).map { Int(decoded[$0, centre.y, centre.x]) }
                    let expected = palette[Int(label) - 1].map(Int.init)
                    XCTAssertLessThanOrEqual(zip(found, expected).map { abs($0 - $1) }.max()!, 8,
                                             "\(orientation): block (\(by), \(bx)) is \(found), expected \(expected)")
                }
            }
        }
    }

    /// A little-endian ("II") TIFF header with the orientation as the second IFD entry is read too.
    func testLittleEndianExifWithSeveralEntries() {
        let tiff: [UInt8] = [0x49, 0x49, 42, 0, 8, 0, 0, 0, 2, 0,
                             0x0F, 0x01, 2, 0, 4, 0, 0, 0, 0x41, 0x42, 0x43, 0,      // Make, ASCII "ABC"
                             0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0,               // Orientation, SHORT 6
                             0, 0, 0, 0]
        XCTAssertEqual(ExifOrientation(jpeg: jpegHeader(app1: exif(tiff))), .right)
    }

    /// Missing or broken tags leave the image as stored.
    func testBrokenOrMissingTagsAreIgnored() {
        XCTAssertNil(ExifOrientation(jpeg: jpegHeader(app1: Array("http://ns.adobe.com/xap/1.0/\0".utf8))))
        let wrongType: [UInt8] = [0x4D, 0x4D, 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 4, 0, 0, 0, 1, 0, 0, 0, 6, 0, 0, 0, 0]
        XCTAssertNil(ExifOrientation(jpeg: jpegHeader(app1: exif(wrongType))))
        let outOfRange: [UInt8] = [0x4D, 0x4D, 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 9, 0, 0, 0, 0, 0, 0]
        XCTAssertNil(ExifOrientation(jpeg: jpegHeader(app1: exif(outOfRange))))
        let pastTheEnd: [UInt8] = [0x4D, 0x4D, 0, 42, 0, 0, 0x10, 0, 0, 1]
        XCTAssertNil(ExifOrientation(jpeg: jpegHeader(app1: exif(pastTheEnd))))
        var badLength = jpegHeader(app1: exif(wrongType))
        badLength[5] = 0xFF                                                            // APP1 longer than the file
        XCTAssertNil(ExifOrientation(jpeg: badLength))
        XCTAssertNil(ExifOrientation(jpeg: [0xFF, 0xD8]))
    }

    private func exif(_ tiff: [UInt8]) -> [UInt8] { Array("Exif".utf8) + [0, 0] + tiff }

    /// SOI, one APP1 segment holding `app1`, and the start of a scan.
    private func jpegHeader(app1: [UInt8]) -> [UInt8] {
        [0xFF, 0xD8, 0xFF, 0xE1, UInt8((app1.count + 2) >> 8), UInt8((app1.count + 2) & 0xFF)] + app1 + [0xFF, 0xDA, 0, 2]
    }
}
