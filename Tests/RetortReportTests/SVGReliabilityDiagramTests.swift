import Foundation
import XCTest
import RetortReport

/// Bars, gaps and counts stand where the bins' numbers say, on the axes' own pixel mapping.
final class SVGReliabilityDiagramTests: XCTestCase {
    /// Four bins: an empty one, an underconfident one, an overconfident one and a calibrated one.
    private let diagram = SVGReliabilityDiagram(title: "plane2 <best>", counts: [0, 10, 30, 60],
                                                accuracy: [nil, 0.6, 0.5, 0.875], meanConfidence: [nil, 0.4, 0.65, 0.875],
                                                expectedCalibrationError: 0.065)

    func testBarsGapsAndCountsWhereTheBinsSay() throws {
        let svg = try XMLElements(diagram.svg)
        let axes = diagram.axes
        XCTAssertEqual(axes.x, 0...1)
        XCTAssertEqual(axes.y, 0...1)
        let bars = svg.classed("bar")
        let gaps = svg.classed("gap")
        XCTAssertEqual(bars.count, 3, "no bar for the empty bin")
        XCTAssertEqual(gaps.count, 3)
        let filled = [(1, 0.6, 0.4), (2, 0.5, 0.65), (3, 0.875, 0.875)]
        for ((bin, accuracy, confidence), (bar, gap)) in zip(filled, zip(bars, gaps)) {
            let left = axes.px(Double(bin) / 4), right = axes.px(Double(bin + 1) / 4)
            XCTAssertEqual(try number(bar, "x"), left, accuracy: 0.06)
            XCTAssertEqual(try number(bar, "width"), right - left, accuracy: 0.06)
            XCTAssertEqual(try number(bar, "y"), axes.py(accuracy), accuracy: 0.06, "bin \(bin)'s bar reaches its accuracy")
            XCTAssertEqual(try number(bar, "y") + number(bar, "height"), axes.py(0), accuracy: 0.1, "from the x axis")
            XCTAssertEqual(try number(gap, "y"), axes.py(max(accuracy, confidence)), accuracy: 0.06)
            XCTAssertEqual(try number(gap, "y") + number(gap, "height"), axes.py(min(accuracy, confidence)), accuracy: 0.1,
                           "bin \(bin)'s gap spans accuracy to mean confidence")
        }
        let counts = svg.classed("count")
        XCTAssertEqual(counts.count, 3)
        XCTAssertEqual(try number(counts[0], "x"), (axes.px(0.25) + axes.px(0.5)) / 2, accuracy: 0.06, "centred over its bar")
        for count in ["10", "30", "60"] { XCTAssert(svg.texts.contains(count), "\(count) in \(svg.texts)") }
        let diagonal = try XCTUnwrap(svg.classed("diagonal").first)
        XCTAssertEqual(try number(diagonal, "x1"), axes.px(0), accuracy: 0.06)
        XCTAssertEqual(try number(diagonal, "y1"), axes.py(0), accuracy: 0.06)
        XCTAssertEqual(try number(diagonal, "x2"), axes.px(1), accuracy: 0.06)
        XCTAssertEqual(try number(diagonal, "y2"), axes.py(1), accuracy: 0.06)
    }

    func testTitleLegendAndTotal() throws {
        let svg = try XMLElements(diagram.svg)
        XCTAssert(svg.texts.contains("plane2 <best> (ECE 0.0650)"), "\(svg.texts)")
        for text in ["accuracy", "gap to confidence", "perfect calibration", "100 predictions", "confidence (top softmax probability)"] {
            XCTAssert(svg.texts.contains(text), "\(text) in \(svg.texts)")
        }
    }

    func testNonFiniteNumbersDrawNothingInvalid() throws {
        let broken = SVGReliabilityDiagram(title: "t", counts: [5, 5, 0], accuracy: [.nan, 0.5, nil], meanConfidence: [0.2, .infinity, nil],
                                           expectedCalibrationError: .nan)
        let text = broken.svg.lowercased()
        XCTAssertFalse(text.contains("nan") || text.contains("inf"), text)
        let svg = try XMLElements(broken.svg)
        XCTAssert(svg.classed("bar").isEmpty, "a bin without finite numbers has no bar")
        XCTAssert(svg.texts.contains("t"))
    }
}
