import Foundation
import XCTest

/// `retort inspect flatness` prints the loss along the direction and the sharpness number, draws a
/// curve (and with two directions a contour), and refuses what it cannot draw.
final class InspectFlatnessTests: XCTestCase {
    func testCurveContourAndSharpness() throws {
        let files = try InspectFixture.files()
        let out = InspectFixture.output(self, "flatness.svg")
        let run = try RetortProcess.run(["inspect", "flatness", "--model", "plane2", "--weights", files.weights.path,
                                         "--data-dir", files.data.path,
                                         "--limit", "100", "--directions", "2", "--points", "3", "--radius", "0.5", "--seed", "4",
                                         "--out", out.path])
        XCTAssertEqual(run.status, 0, run.output + run.errors)
        let lines = run.output.split(separator: "\n").map(String.init)
        let base = try XCTUnwrap(lines.first { $0.hasPrefix("plane2 on 100 training images: loss at the weights ") })
        let losses = lines.filter { $0.hasPrefix("  alpha ") }
        XCTAssertEqual(losses.map { $0.prefix(15) }, ["  alpha -0.500 ", "  alpha +0.000 ", "  alpha +0.500 "])
        XCTAssertEqual(losses[1].suffix(6), base.suffix(6), "α = 0 is the loss at the weights")
        let values = try losses.map { try XCTUnwrap(Double($0.split(separator: " ").last ?? "")) }
        let prefix = "sharpness (mean loss increase over alpha in [-0.5, 0.5], direction 1): "
        let sharpness = try XCTUnwrap(lines.first { $0.hasPrefix(prefix) })
        let number = try XCTUnwrap(Double(sharpness.split(separator: " ")[11].dropLast()))
        XCTAssertEqual(number, values.reduce(0, +) / 3 - values[1], accuracy: 2e-4)
        XCTAssert(lines.contains { $0.hasPrefix("sharpness over the 3×3 grid (mean loss increase): ") }, run.output)
        let svg = try String(contentsOf: out, encoding: .utf8)
        XCTAssertEqual(svg.components(separatedBy: "<polyline").count - 1, 1, "the curve")
        XCTAssert(svg.contains("L(θ + α·d₁ + β·d₂)") && svg.contains(">θ</text>"), "the contour, marking the weights")
        XCTAssertFalse(svg.lowercased().contains("nan"))
    }

    func testGridsItCannotDrawAreRefused() throws {
        let files = try InspectFixture.files()
        let common = ["inspect", "flatness", "--model", "plane2", "--weights", files.weights.path, "--data-dir", files.data.path]
        for (options, message) in [(["--directions", "3"], "--directions must be 1 (a curve) or 2 (a curve and a contour), got '3'"),
                                   (["--points", "1"], "--points must be an integer in 2...1001, got '1'"),
                                   (["--radius", "-1"], "--radius must be a positive number, got '-1'"),
                                   (["--classes", "0,1,2"], "inspect flatness takes no --classes")] {
            let run = try RetortProcess.run(common + options)
            XCTAssertEqual(run.status, 2, "\(options)")
            XCTAssert(run.errors.contains(message), "\(options): \(run.errors)")
        }
    }
}
