import XCTest
@testable import RetortData

final class TransformsResizeTests: XCTestCase {
    /// Shrinking 4 → 2 columns widens the triangle filter to 2 input pixels: output 0 is centred at
    /// 1.0 and weighs inputs 0, 1, 2 by 0.75, 0.75, 0.25 (normalized: 3/7, 3/7, 1/7); output 1 at 3.0
    /// weighs inputs 1, 2, 3 by 1/7, 3/7, 3/7. [0, 70, 140, 210] → [30 + 20, 10 + 60 + 90] = [50, 160]
    /// (a filter without antialiasing would give [35, 175]).
    func testShrinkingAntialiasesWithAWiderTriangle() {
        let out = Transforms.resize([0, 70, 140, 210], channels: 1, height: 1, width: 4, to: (1, 2))
        XCTAssertEqual(out, [50, 160])
        let column = Transforms.resize([0, 70, 140, 210], channels: 1, height: 4, width: 1, to: (2, 1))
        XCTAssertEqual(column, [50, 160], "the vertical pass uses the same filter")
    }

    /// Enlarging 2 → 4: output centres 0.25, 0.75, 1.25, 1.75 in input pixels; the triangle of width 1
    /// gives a, 0.75a + 0.25b, 0.25a + 0.75b, b (edges clamp to the one input in reach).
    func testEnlargingInterpolatesLinearlyAndClampsAtTheEdges() {
        XCTAssertEqual(Transforms.resize([0, 200], channels: 1, height: 1, width: 2, to: (1, 4)), [0, 50, 150, 200])
        // 2×2 → 4×4 is separable: rows first (and rounded), then columns.
        let square = Transforms.resize([0, 200, 100, 100], channels: 1, height: 2, width: 2, to: (4, 4))
        let rows: [[Double]] = [[0, 50, 150, 200], [100, 100, 100, 100]]
        for y in 0..<4 {
            let (a, b) = ([1, 0.75, 0.25, 0][y], [0, 0.25, 0.75, 1][y])
            for x in 0..<4 {
                XCTAssertEqual(Int(square[y * 4 + x]), Int((a * rows[0][x] + b * rows[1][x]).rounded()), "(\(y), \(x))")
            }
        }
    }

    func testResizeKeepsChannelsApartAndCopiesAnUnchangedSize() {
        let image: [UInt8] = [0, 70, 140, 210, 10, 10, 10, 10]
        XCTAssertEqual(Transforms.resize(image, channels: 2, height: 1, width: 4, to: (1, 2)), [50, 160, 10, 10])
        XCTAssertEqual(Transforms.resize(image, channels: 2, height: 1, width: 4, to: (1, 4)), image)
    }

    /// torchvision's `Resize(int)`: the shorter side becomes the size, the longer one is scaled and
    /// rounded down (`int(size · long / short)`).
    func testShortSideResizeKeepsTheAspectRatioRoundingDown() {
        XCTAssert(Transforms.resizedSize(height: 375, width: 500, shortSide: 256) == (256, 341))  // 341.33
        XCTAssert(Transforms.resizedSize(height: 500, width: 333, shortSide: 256) == (384, 256))  // 384.38
        XCTAssert(Transforms.resizedSize(height: 64, width: 64, shortSide: 73) == (73, 73))
    }

    /// `CenterCrop`: offsets round((H − h) / 2) with Python's rounding (half to even).
    func testCenterCropOffsetsRoundHalfToEven() {
        let image = (0..<25).map(UInt8.init)  // 5×5, pixel (y, x) = 5y + x
        XCTAssertEqual(Transforms.centerCrop(image, channels: 1, height: 5, width: 5, size: (3, 3)), [6, 7, 8, 11, 12, 13, 16, 17, 18])
        // (5 − 2) / 2 = 1.5 rounds to 2.
        XCTAssertEqual(Transforms.centerCrop(image, channels: 1, height: 5, width: 5, size: (2, 2)), [12, 13, 17, 18])
        // Rows: (5 − 4) / 2 = 0.5 rounds to 0; columns: (5 − 1) / 2 = 2.
        XCTAssertEqual(Transforms.centerCrop(image, channels: 1, height: 5, width: 5, size: (4, 1)), [2, 7, 12, 17])
    }
}
