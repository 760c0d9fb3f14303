import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest

/// `retort inspect calibration` draws the reliability diagram of saved weights on the test split:
/// the same bins the run recorded for its best checkpoint.
final class InspectCalibrationTests: XCTestCase {
    func testTheDiagramOfTheBestCheckpointMatchesTheRunsRecord() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("retort-calibration-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: base) }
        let data = base.appendingPathComponent("data"), run = base.appendingPathComponent("run")
        try FashionMNISTSubset.write(count: 256, to: data)
        let train = try RetortProcess.run(["train", "--model", "plane2", "--epochs", "1", "--batch-size", "64", "--data-dir", data.path,
                                           "--out", run.path])
        XCTAssertEqual(train.status, 0, train.output + train.errors)
        let out = base.appendingPathComponent("calibration.svg")
        let inspect = try RetortProcess.run(["inspect", "calibration", "--model", "plane2", "--weights",
                                             run.appendingPathComponent("best.safetensors").path, "--data-dir", data.path,
                                             "--out", out.path])
        XCTAssertEqual(inspect.status, 0, inspect.output + inspect.errors)
        let details = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("best-test.json")))
                                    as? [String: Any])
        let counts = try XCTUnwrap((details["reliability"] as? [String: Any])?["count"] as? [Int])
        let svg = try String(contentsOf: out, encoding: .utf8)
        XCTAssert(XMLParser(data: Data(svg.utf8)).parse(), "well-formed SVG")
        XCTAssertEqual(svg.components(separatedBy: "class=\"bar\"").count - 1, counts.filter { $0 > 0 }.count, "one bar per filled bin")
        for count in counts where count > 0 { XCTAssert(svg.contains(">\(count)</text>"), "bin count \(count) in the diagram") }
        XCTAssert(svg.contains(">256 predictions</text>"))
        XCTAssert(inspect.output.contains("plane2 on fashion-mnist test (256 images)") && inspect.output.contains(out.path), inspect.output)
        XCTAssert(inspect.output.contains("normalization: "), "the checkpoint's normalization is used and named")

        let missing = try RetortProcess.run(["inspect", "calibration", "--model", "plane2"])
        XCTAssertEqual(missing.status, 2)
        XCTAssert(missing.errors.contains("inspect calibration needs --model NAME and --weights FILE.safetensors"), missing.errors)
    }
}
