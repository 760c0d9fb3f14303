import CTurboJPEG
import XCTest
@testable import RetortData

final class JPEGDecoderTests: XCTestCase {
    /// A smooth 40 × 24 picture (gradients, no edges), which JPEG keeps within a few levels.
    private func smooth(channels: Int) -> DecodedImage {
        let (w, h) = (40, 24)
        var pixels: [UInt8] = []
        for c in 0..<channels {
            for y in 0..<h {
                for x in 0..<w { pixels.append(UInt8(20 + 3 * x + 2 * y + 30 * c)) }
            }
        }
        return DecodedImage(width: w, height: h, channels: channels, pixels: pixels)
    }

    private func assertClose(_ found: DecodedImage, _ expected: DecodedImage, maximum: Int, mean: Double,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual([found.width, found.height, found.channels], [expected.width, expected.height, expected.channels],
                       file: file, line: line)
        let differences = zip(found.pixels, expected.pixels).map { abs(Int($0) - Int($1)) }
        XCTAssertLessThanOrEqual(differences.max() ?? 0, maximum, file: file, line: line)
        XCTAssertLessThanOrEqual(Double(differences.reduce(0, +)) / Double(differences.count), mean, file: file, line: line)
    }

    func testRGBRoundTripWithinTolerance() throws {
        let image = smooth(channels: 3)
        let decoded = try ImageDecoder.decode(try ImageEncoder.jpeg(image, quality: 95), path: "smooth.jpg", channels: 3)
        assertClose(decoded, image, maximum: 6, mean: 1.5)
        // Read as gray: PIL's weights applied to the decoded colours.
        let gray = try ImageDecoder.decode(try ImageEncoder.jpeg(image, quality: 95), path: "smooth.jpg", channels: 1)
        XCTAssertEqual(gray, decoded.converted(toChannels: 1))
    }

    func testGrayJPEGReadAsGrayAndAsRGB() throws {
        let image = smooth(channels: 1)
        let file = try ImageEncoder.jpeg(image, quality: 95)
        let gray = try ImageDecoder.decode(file, path: "gray.jpg", channels: 1)
        assertClose(gray, image, maximum: 4, mean: 1)
        XCTAssertEqual(try ImageDecoder.decode(file, path: "gray.jpg", channels: 3).pixels, gray.pixels + gray.pixels + gray.pixels)
    }

    func testTruncatedJPEGNamesThePath() throws {
        let noisy = DecodedImage(width: 64, height: 48, channels: 3, pixels: testPixels(3 * 64 * 48, seed: 3))
        let file = try ImageEncoder.jpeg(noisy, quality: 90)
        let path = "train/n01443537/images/cut.JPEG"
        XCTAssertThrowsError(try ImageDecoder.decode(Array(file.prefix(file.count * 2 / 3)), path: path, channels: 3)) { error in
            guard case DataError.corruptImage(let named, let reason)? = error as? DataError else { return XCTFail("\(error)") }
            XCTAssertEqual(named, path)
            XCTAssertTrue(reason.hasPrefix("truncated JPEG"), reason)
            XCTAssertTrue("\(error)".hasPrefix("\(path): truncated JPEG"), "\(error)")
        }
        // Cut inside the header (before the frame, then before the scan): the header itself cannot be read.
        for cut in [40, 400] {
            XCTAssertThrowsError(try ImageDecoder.decode(Array(file.prefix(cut)), path: path, channels: 3)) { error in
                guard case DataError.corruptImage(let named, let reason)? = error as? DataError else { return XCTFail("\(error)") }
                XCTAssertEqual(named, path)
                XCTAssertTrue(reason.hasPrefix("corrupt JPEG header"), reason)
            }
        }
    }

    /// A decoder that met a broken JPEG (cut in the header, cut in the scan, not a JPEG past its signature)
    /// decodes the next good file as a fresh one does.
    func testADecoderThatFailedDecodesTheNextFile() throws {
        let image = smooth(channels: 3)
        let good = try ImageEncoder.jpeg(image, quality: 90)
        let expected = try ImageDecoder.decode(good, path: "good.jpg", channels: 3)
        let noisy = DecodedImage(width: 64, height: 48, channels: 3, pixels: testPixels(3 * 64 * 48, seed: 4))
        let long = try ImageEncoder.jpeg(noisy, quality: 90)
        let broken: [[UInt8]] = [Array(good.prefix(200)), Array(long.prefix(long.count / 2)), [0xFF, 0xD8, 0xFF, 0xE0, 0, 2, 7, 7]]
        let decoder = ImageDecoder()
        for bytes in broken {
            XCTAssertThrowsError(try decoder.decode(bytes, path: "broken.jpg", channels: 3))
            XCTAssertEqual(try decoder.decode(good, path: "good.jpg", channels: 3), expected)
        }
    }

    /// An Adobe CMYK JPEG (inverted inks, as Photoshop writes them) reads as PIL reads it: red = c · k / 255
    /// of the stored values.
    func testCMYKJPEGReadsAsPILReadsIt() throws {
        let (w, h) = (16, 16)
        let stored: [UInt8] = [200, 100, 250, 180]                              // c, m, y, k as stored
        let packed = [UInt8]((0..<(w * h)).flatMap { _ in stored })
        guard let handle = tjInitCompress() else { return XCTFail("no TurboJPEG compressor") }
        defer { tjDestroy(handle) }
        var buffer: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        XCTAssertEqual(tjCompress2(handle, packed, Int32(w), 0, Int32(h), Int32(TJPF_CMYK.rawValue), &buffer, &size,
                                   Int32(TJSAMP_444.rawValue), 100, 0), 0)
        defer { tjFree(buffer) }
        let file = Array(UnsafeBufferPointer(start: buffer, count: Int(size)))
        let decoded = try ImageDecoder.decode(file, path: "cmyk.jpg", channels: 3)
        let expected = stored.prefix(3).map { (Int($0) * Int(stored[3]) + 127) / 255 }           // 141, 71, 176
        for c in 0..<3 {
            XCTAssertLessThanOrEqual(abs(Int(decoded[c, 8, 8]) - expected[c]), 2, "channel \(c)")
        }
    }
}
