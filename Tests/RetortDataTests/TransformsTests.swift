import RetortRandom
import XCTest
@testable import RetortData

final class TransformsTests: XCTestCase {
    // A 2-channel 3×4 image with distinct nonzero pixels: value = 1 + index.
    private let image: [UInt8] = (0..<24).map { UInt8($0 + 1) }

    private func pixel(_ img: [UInt8], _ c: Int, _ y: Int, _ x: Int, height: Int = 3, width: Int = 4) -> UInt8 {
        img[(c * height + y) * width + x]
    }

    func testCropShiftsContentAndPadsWithZeros() {
        let padding = 2
        for top in 0...(2 * padding) {
            for left in 0...(2 * padding) {
                let out = Transforms.crop(image, channels: 2, height: 3, width: 4, size: (3, 4), padding: padding,
                                          top: top, left: left)
                XCTAssertEqual(out.count, image.count)
                for c in 0..<2 { for y in 0..<3 { for x in 0..<4 {
                    let sy = y + top - padding, sx = x + left - padding
                    let expected: UInt8 = (0..<3).contains(sy) && (0..<4).contains(sx) ? pixel(image, c, sy, sx) : 0
                    XCTAssertEqual(pixel(out, c, y, x), expected, "top \(top) left \(left) at \(c),\(y),\(x)")
                } } }
            }
        }
        // The centred crop is the identity.
        XCTAssertEqual(Transforms.crop(image, channels: 2, height: 3, width: 4, size: (3, 4), padding: 2, top: 2, left: 2), image)
        // A smaller window without padding.
        let window = Transforms.crop(image, channels: 2, height: 3, width: 4, size: (2, 2), padding: 0, top: 1, left: 2)
        XCTAssertEqual(window, [7, 8, 11, 12, 19, 20, 23, 24])
    }

    func testRandomCropCoversAllOffsetsAndIsSeeded() {
        var seen = Set<[UInt8]>()
        var generator = SplitMix64(seed: 1)
        for _ in 0..<400 {
            let out = Transforms.randomCrop(image, channels: 2, height: 3, width: 4, size: (3, 4), padding: 1, using: &generator)
            XCTAssertEqual(out.count, 24)
            seen.insert(out)
        }
        XCTAssertEqual(seen.count, 9, "padding 1 allows 3 × 3 offsets")
        var a = SplitMix64(seed: 5), b = SplitMix64(seed: 5)
        XCTAssertEqual(Transforms.randomCrop(image, channels: 2, height: 3, width: 4, size: (3, 4), padding: 2, using: &a),
                       Transforms.randomCrop(image, channels: 2, height: 3, width: 4, size: (3, 4), padding: 2, using: &b))
    }

    func testFlipMirrorsRows() {
        let flipped = Transforms.horizontalFlip(image, channels: 2, height: 3, width: 4)
        for c in 0..<2 { for y in 0..<3 { for x in 0..<4 {
            XCTAssertEqual(pixel(flipped, c, y, x), pixel(image, c, y, 3 - x))
        } } }
        XCTAssertEqual(Transforms.horizontalFlip(flipped, channels: 2, height: 3, width: 4), image)
    }

    func testAugmentationFlipsAboutHalfTheTime() {
        let augmentation = Augmentation(horizontalFlip: true)
        let flipped = Transforms.horizontalFlip(image, channels: 2, height: 3, width: 4)
        var generator = SplitMix64(seed: 3)
        var flips = 0
        for _ in 0..<2000 {
            let out = augmentation.apply(image, channels: 2, height: 3, width: 4, using: &generator)
            if out == flipped { flips += 1 } else { XCTAssertEqual(out, image) }
        }
        XCTAssertEqual(Double(flips) / 2000, 0.5, accuracy: 0.05)
        XCTAssertEqual(Augmentation.none.apply(image, channels: 2, height: 3, width: 4, using: &generator), image)
    }

    func testNormalizationPerChannel() {
        let normalization = Normalization(mean: [0.25, 0.5], std: [0.5, 0.125])
        var out = [Float](repeating: -99, count: 26)
        Transforms.normalize(image, channels: 2, normalization: normalization, into: &out, at: 1)
        XCTAssertEqual(out[0], -99)
        XCTAssertEqual(out[25], -99)
        for i in 0..<24 {
            let c = i / 12
            let expected = (Double(image[i]) / 255 - Double(normalization.mean[c])) / Double(normalization.std[c])
            XCTAssertEqual(Double(out[1 + i]), expected, accuracy: 1e-5)
        }
    }
}
