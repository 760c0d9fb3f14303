import CZlib
import XCTest
@testable import RetortData

final class PNGDecoderTests: XCTestCase {
    private let (width, height) = (7, 5)

    /// Decodes a generated PNG to RGB and compares with the pixels PIL's `convert("RGB")` gives: samples
    /// below 8 bits scaled by bit replication, 16-bit ones rounded, alpha and transparency dropped.
    private func assertRoundTrip(_ color: ImageEncoder.PNGColor, bitDepth: Int, seed: UInt64,
                                 expected: ([UInt16]) -> [[UInt8]], file: StaticString = #filePath, line: UInt = #line) throws {
        let count = width * height * color.samplesPerPixel
        let bytes = testPixels(2 * count, seed: seed)
        var samples = (0..<count).map { (UInt16(bytes[2 * $0]) << 8 | UInt16(bytes[2 * $0 + 1])) >> (16 - bitDepth) }
        if case .palette(let colors, _) = color { samples = samples.map { $0 % UInt16(colors.count / 3) } }
        let encoded = try ImageEncoder.png(width: width, height: height, color: color, bitDepth: bitDepth, samples: samples)
        let image = try ImageDecoder.decode(encoded, path: "generated.png", channels: 3)
        XCTAssertEqual([image.width, image.height, image.channels], [width, height, 3], file: file, line: line)
        let rgb = expected(samples)                                     // one [r, g, b] a pixel
        let planes = (0..<3).flatMap { c in rgb.map { $0[c] } }
        XCTAssertEqual(image.pixels, planes, "colour type \(color), \(bitDepth) bits", file: file, line: line)
    }

    /// One [r, g, b] a pixel from samples `stride` a pixel: the first repeated (gray) or the first three.
    private func rgbPixels(_ s: [UInt16], stride n: Int, color: Bool,
                           _ level: (UInt16) -> UInt8 = { UInt8($0) }) -> [[UInt8]] {
        stride(from: 0, to: s.count, by: n).map { k -> [UInt8] in
            color ? [level(s[k]), level(s[k + 1]), level(s[k + 2])] : [UInt8](repeating: level(s[k]), count: 3)
        }
    }

    /// 1, 2 and 4-bit gray as 8 bits: each value times 255 / (2^bits − 1), exactly (bit replication).
    func testGrayOfEveryBitDepth() throws {
        for bits in [1, 2, 4, 8] {
            try assertRoundTrip(.gray, bitDepth: bits, seed: UInt64(bits)) { samples in
                samples.map { let v = UInt8(Int($0) * 255 / ((1 << bits) - 1)); return [v, v, v] }
            }
        }
    }

    /// 16-bit samples round to the nearest 8-bit level: `(v · 255 + 32895) >> 16`, which is round(v / 257).
    func testSixteenBitSamplesRoundToNearest() throws {
        let rounded = { (v: UInt16) in UInt8((Int(v) * 255 + 32895) >> 16) }
        try assertRoundTrip(.gray, bitDepth: 16, seed: 16) { rgbPixels($0, stride: 1, color: false, rounded) }
        try assertRoundTrip(.grayAlpha, bitDepth: 16, seed: 17) { rgbPixels($0, stride: 2, color: false, rounded) }
        try assertRoundTrip(.rgb, bitDepth: 16, seed: 18) { rgbPixels($0, stride: 3, color: true, rounded) }
        try assertRoundTrip(.rgba, bitDepth: 16, seed: 19) { rgbPixels($0, stride: 4, color: true, rounded) }
        // Where rounding and PIL's truncation to the high byte part: 0x00ff is 0.99 levels (high byte 0), 0x8100
        // is 128.498 (high byte 129), 0x0080 is 0.498.
        let edges = try ImageEncoder.png(width: 4, height: 1, color: .gray, bitDepth: 16, samples: [0x00FF, 0x8100, 0xFFFF, 0x0080])
        XCTAssertEqual(try ImageDecoder.decode(edges, path: "edges.png", channels: 1).pixels, [1, 128, 255, 0])
    }

    /// Alpha is discarded, not composited: a transparent pixel keeps its colour.
    func testAlphaIsDroppedNotComposited() throws {
        try assertRoundTrip(.grayAlpha, bitDepth: 8, seed: 20) { rgbPixels($0, stride: 2, color: false) }
        try assertRoundTrip(.rgba, bitDepth: 8, seed: 21) { rgbPixels($0, stride: 4, color: true) }
        let clear = try ImageEncoder.png(width: 1, height: 1, color: .rgba, bitDepth: 8, samples: [200, 100, 50, 0])
        XCTAssertEqual(try ImageDecoder.decode(clear, path: "clear.png", channels: 3).pixels, [200, 100, 50])
    }

    func testRGBIsExact() throws {
        try assertRoundTrip(.rgb, bitDepth: 8, seed: 22) { rgbPixels($0, stride: 3, color: true) }
    }

    /// Palette images of 1 to 8 bits, with and without `tRNS`, read as their palette's colours.
    func testPaletteOfEveryBitDepthWithAndWithoutTransparency() throws {
        for bits in [1, 2, 4, 8] {
            let entries = min(1 << bits, 40)
            let colors = testPixels(3 * entries, seed: UInt64(30 + bits))
            for alphas in [[], Array(testPixels(entries / 2 + 1, seed: UInt64(40 + bits)).prefix(entries))] {
                try assertRoundTrip(.palette(colors: colors, alphas: alphas), bitDepth: bits, seed: UInt64(50 + bits)) { s in
                    s.map { Array(colors[(3 * Int($0))..<(3 * Int($0) + 3)]) }
                }
            }
        }
    }

    /// Gray read as 1 channel stays itself; RGB read as 1 channel takes PIL's `convert("L")` weights.
    func testChannelConversions() throws {
        let gray = try ImageEncoder.png(width: 2, height: 1, color: .gray, bitDepth: 8, samples: [3, 250])
        XCTAssertEqual(try ImageDecoder.decode(gray, path: "gray.png", channels: 1).pixels, [3, 250])
        XCTAssertEqual(try ImageDecoder.decode(gray, path: "gray.png", channels: 3).pixels, [3, 250, 3, 250, 3, 250])
        let rgb = try ImageEncoder.png(width: 2, height: 1, color: .rgb, bitDepth: 8, samples: [255, 0, 0, 10, 200, 30])
        // (19595 r + 38470 g + 7471 b + 32768) >> 16: 76 for pure red, 124 for (10, 200, 30).
        XCTAssertEqual(try ImageDecoder.decode(rgb, path: "rgb.png", channels: 1).pixels, [76, 124])
    }

    /// Colour-space chunks (`gAMA`, `sRGB`, `cHRM`) change no sample, as in PIL: a file that says its
    /// samples are linear (gamma 1.0), or of gamma 1/4.5, reads as stored, at 8 and at 16 bits.
    func testGammaChunksAreIgnored() throws {
        let samples: [UInt16] = [10, 64, 128, 200, 250, 255]
        let plain = try ImageEncoder.png(width: 2, height: 1, color: .rgb, bitDepth: 8, samples: samples)
        let wide = try ImageEncoder.png(width: 2, height: 1, color: .rgb, bitDepth: 16, samples: samples.map { $0 * 257 })
        let chunks: [(String, [UInt8])] = [("gAMA", [0, 1, 0x86, 0xA0]), ("gAMA", [0, 0, 0x56, 0x22]), ("sRGB", [0]),
                                           ("cHRM", [UInt8](repeating: 1, count: 32))]
        for (type, data) in chunks {
            for file in [plain, wide] {
                let tagged = inserting(type, data, into: file)
                XCTAssertEqual(try ImageDecoder.decode(tagged, path: "\(type).png", channels: 3).pixels, [10, 200, 64, 250, 128, 255],
                               "\(type) \(data)")
            }
        }
    }

    /// A transparent colour (`tRNS` of a gray or RGB image) is dropped with the alpha it makes.
    func testTransparentColourOfGrayAndRGBIsDropped() throws {
        let gray = try ImageEncoder.png(width: 3, height: 1, color: .gray, bitDepth: 8, samples: [0, 10, 255])
        XCTAssertEqual(try ImageDecoder.decode(inserting("tRNS", [0, 10], into: gray), path: "g.png", channels: 1).pixels, [0, 10, 255])
        let rgb = try ImageEncoder.png(width: 2, height: 1, color: .rgb, bitDepth: 8, samples: [1, 2, 3, 4, 5, 6])
        let clear = inserting("tRNS", [0, 1, 0, 2, 0, 3], into: rgb)
        XCTAssertEqual(try ImageDecoder.decode(clear, path: "c.png", channels: 3).pixels, [1, 4, 2, 5, 3, 6])
    }

    /// `png` with a chunk of `type` and `data` after its IHDR.
    private func inserting(_ type: String, _ data: [UInt8], into png: [UInt8]) -> [UInt8] {
        let body = Array(type.utf8) + data
        let crc = body.withUnsafeBufferPointer { crc32(0, $0.baseAddress, UInt32($0.count)) }
        let length = [24, 16, 8, 0].map { UInt8((data.count >> $0) & 0xFF) }
        let chunk = length + body + [24, 16, 8, 0].map { UInt8((Int(crc) >> $0) & 0xFF) }
        return Array(png[..<33]) + chunk + Array(png[33...])
    }

    func testCorruptPNGNamesThePath() throws {
        let bytes = try ImageEncoder.png(width: width, height: height, color: .rgb, bitDepth: 8,
                                         samples: [UInt16](repeating: 9, count: width * height * 3))
        var damaged = bytes
        damaged[damaged.count - 20] ^= 0xFF                                   // inside IDAT: its CRC no longer matches
        XCTAssertThrowsError(try ImageDecoder.decode(damaged, path: "train/cat/broken.png", channels: 3)) { error in
            guard case DataError.corruptImage(let path, let reason)? = error as? DataError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, "train/cat/broken.png")
            XCTAssertTrue(reason.contains("PNG"), reason)
            XCTAssertTrue("\(error)".hasPrefix("train/cat/broken.png: corrupt PNG"), "\(error)")
        }
        let truncated = Array(bytes.prefix(bytes.count / 2))
        XCTAssertThrowsError(try ImageDecoder.decode(truncated, path: "half.png", channels: 1)) { error in
            guard case DataError.corruptImage(let path, _)? = error as? DataError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, "half.png")
        }
    }
}
