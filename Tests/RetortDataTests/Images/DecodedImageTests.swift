import XCTest
@testable import RetortData

final class DecodedImageTests: XCTestCase {
    func testSubscriptReadsPlanarPixels() {
        let image = DecodedImage(width: 3, height: 2, channels: 3, pixels: Array(0..<18))
        XCTAssertEqual(image[0, 0, 0], 0)
        XCTAssertEqual(image[0, 1, 2], 5)
        XCTAssertEqual(image[2, 1, 0], 15)
    }

    /// Gray to RGB repeats the plane; RGB to gray uses PIL's fixed-point weights, checked on colours
    /// where PIL's rounding and a per-mille formula part (hand-computed: 19595 r + 38470 g + 7471 b + 32768
    /// shifted right 16).
    func testChannelConversionsFollowPIL() {
        let gray = DecodedImage(width: 2, height: 1, channels: 1, pixels: [7, 200])
        XCTAssertEqual(gray.converted(toChannels: 3).pixels, [7, 200, 7, 200, 7, 200])
        XCTAssertEqual(gray.converted(toChannels: 1), gray)
        // (255, 255, 255) → 255; (0, 0, 1) → 0; (255, 0, 0) → 76; (0, 255, 0) → 150; (0, 0, 255) → 29;
        // (0, 0, 250): 7471 · 250 + 32768 = 1900518 → 28 (per mille with rounding: 29).
        let rgb = DecodedImage(width: 6, height: 1, channels: 3,
                               pixels: [255, 0, 255, 0, 0, 0] + [255, 0, 0, 255, 0, 0] + [255, 1, 0, 0, 255, 250])   // R, G, B planes
        XCTAssertEqual(rgb.converted(toChannels: 1).pixels, [255, 0, 76, 150, 29, 28])
    }
}
