import XCTest
import RetortRandom
@testable import RetortData

final class RandomResizedCropTests: XCTestCase {
    /// Replays fixed draws: `unit` values in order, and `below(n)` answers from a list (recording each n).
    private final class Draws {
        var units: [Double], integers: [Int], bounds: [Int] = []
        init(units: [Double], integers: [Int]) { (self.units, self.integers) = (units, integers) }
        func unit() -> Double { units.removeFirst() }
        func below(_ n: Int) -> Int { bounds.append(n); return integers.removeFirst() }
    }

    /// A 100×100 image, scale (0.08, 1), ratio (3/4, 4/3). Draw 0.5 for the area: 0.08 + 0.5·0.92 = 0.54
    /// → 5400 pixels; draw 0.5 for the log-ratio: exp(0) = 1 → w = h = round(√5400) = round(73.48) = 73.
    /// The top is drawn from 0..<28 and the left from 0..<28.
    func testFirstFittingAttemptGivesTheBox() {
        let draws = Draws(units: [0.5, 0.5], integers: [3, 20])
        let box = RandomResizedCrop().box(height: 100, width: 100, unit: draws.unit, below: draws.below)
        XCTAssertEqual(box, RandomResizedCrop.Box(top: 3, left: 20, height: 73, width: 73))
        XCTAssertEqual(draws.bounds, [28, 28], "top then left, each uniform over the positions that fit")
    }

    /// Ratio drawn at the top: log-ratio = log(3/4) + 1·(log(4/3) − log(3/4)) = log(4/3); area 1.0 →
    /// w = round(√(10000·4/3)) = round(115.47) = 115 > 100: no fit. Second attempt: area 0.08 + 0.25·0.92
    /// = 0.31 → 3100; ratio draw 0 → 3/4: w = round(√2325) = round(48.22) = 48, h = round(√4133.3) =
    /// round(64.29) = 64.
    func testAttemptThatDoesNotFitIsRedrawn() {
        let draws = Draws(units: [1, 1, 0.25, 0], integers: [36, 52])
        let box = RandomResizedCrop().box(height: 100, width: 100, unit: draws.unit, below: draws.below)
        XCTAssertEqual(box, RandomResizedCrop.Box(top: 36, left: 52, height: 64, width: 48))
        XCTAssertEqual(draws.bounds, [37, 53])
        XCTAssert(draws.units.isEmpty)
    }

    /// Ten attempts that never fit fall back to the whole image, centred, its ratio clamped: a 10×40
    /// image (ratio 4 > 4/3) → h = 10, w = round(10·4/3) = round(13.33) = 13, left (40 − 13) / 2 = 13.
    func testTenFailedAttemptsFallBackToAClampedCentreCrop() {
        let draws = Draws(units: Array(repeating: 1, count: 20), integers: [])
        let box = RandomResizedCrop().box(height: 10, width: 40, unit: draws.unit, below: draws.below)
        XCTAssertEqual(box, RandomResizedCrop.Box(top: 0, left: 13, height: 10, width: 13))
        XCTAssert(draws.units.isEmpty, "exactly 10 attempts of 2 draws")
        // A tall image (ratio 1/4 < 3/4): w = 10, h = round(10 / 0.75) = round(13.33) = 13, top (40 − 13) / 2 = 13.
        let tall = RandomResizedCrop().box(height: 40, width: 10, unit: { 1 }, below: { _ in 0 })
        XCTAssertEqual(tall, RandomResizedCrop.Box(top: 13, left: 0, height: 13, width: 10))
        // Within the ratio range the fallback is the whole image.
        let whole = RandomResizedCrop(scale: 2...3).box(height: 10, width: 12, unit: { 0 }, below: { _ in 0 })
        XCTAssertEqual(whole, RandomResizedCrop.Box(top: 0, left: 0, height: 10, width: 12))
    }

    /// Width and height round half to even as Python's `round`: a 4×4 image, area fraction exactly
    /// 25/64 → 6.25 pixels, ratio 1 → √6.25 = 2.5 rounds to 2 (not 3).
    func testSidesRoundHalfToEven() {
        let crop = RandomResizedCrop(scale: 0.390625...0.390625, ratio: 1...1)
        let box = crop.box(height: 4, width: 4, unit: { 0.5 }, below: { _ in 0 })
        XCTAssertEqual(box, RandomResizedCrop.Box(top: 0, left: 0, height: 2, width: 2))
    }

    /// The pixels: the box is cut out and resized bilinearly; a box the output size is a plain crop.
    func testApplyCropsTheBoxAndResizesIt() {
        let image = (0..<36).map(UInt8.init)  // 6×6, pixel (y, x) = 6y + x
        let box = RandomResizedCrop.Box(top: 1, left: 2, height: 2, width: 2)
        XCTAssertEqual(RandomResizedCrop.apply(box, to: image, channels: 1, height: 6, width: 6, size: (2, 2)), [8, 9, 14, 15])
        // 1×4 box [0, 70, 140, 210]-like row shrunk to 2: the same filter as Transforms.resize.
        let row: [UInt8] = [9, 0, 70, 140, 210, 9]
        let strip = RandomResizedCrop.Box(top: 0, left: 1, height: 1, width: 4)
        XCTAssertEqual(RandomResizedCrop.apply(strip, to: row, channels: 1, height: 1, width: 6, size: (1, 2)), [50, 160])
    }

    func testSeededBoxesRepeatAndStayInsideTheImage() {
        for seed in 0..<200 as Range<UInt64> {
            var a = SplitMix64(seed: seed), b = SplitMix64(seed: seed)
            let box = RandomResizedCrop().box(height: 48, width: 64, using: &a)
            XCTAssertEqual(box, RandomResizedCrop().box(height: 48, width: 64, using: &b))
            XCTAssert(box.top >= 0 && box.left >= 0 && box.top + box.height <= 48 && box.left + box.width <= 64, "\(box)")
            let area = Double(box.height * box.width) / (48 * 64)
            XCTAssert(area > 0.07 && area <= 1, "area fraction \(area)")
        }
    }
}
