import Foundation
import XCTest
import RetortReport

/// Bars start at zero and end where their values say, a row per label top to bottom, the axis
/// covers every value, and non-finite values draw nothing.
final class SVGBarChartTests: XCTestCase {
    private func bars(_ svg: XMLElements, color: String) -> [(x: Double, y: Double, width: Double, height: Double)] {
        svg.named("rect").filter { $0["fill"] == color && $0["width"] != "14" }.map {
            (Double($0["x"] ?? "") ?? .nan, Double($0["y"] ?? "") ?? .nan, Double($0["width"] ?? "") ?? .nan,
             Double($0["height"] ?? "") ?? .nan)
        }
    }

    func testBarsAreAsLongAsTheirValuesInTheLabelsOrder() throws {
        let chart = SVGBarChart(title: "pruned per layer", valueLabel: "pruned (%)", labels: ["layers.0.weight", "layers.4.weight", "fc"],
                                series: [.init(name: "pruned", values: [25, 50, 100], color: "#1f77b4")], valueRange: 0...100,
                                valueFormat: "%.1f%%")
        let svg = try XMLElements(chart.svg)
        let drawn = bars(svg, color: "#1f77b4")
        XCTAssertEqual(drawn.count, 3)
        let axes = chart.axes
        XCTAssertEqual(axes.x, 0...100)
        for (bar, value) in zip(drawn, [25.0, 50, 100]) {
            XCTAssertEqual(bar.x, axes.px(0), accuracy: 0.1, "every bar starts at zero")
            XCTAssertEqual(bar.width, axes.px(value) - axes.px(0), accuracy: 0.1)
        }
        XCTAssertEqual(drawn[1].width / drawn[0].width, 2, accuracy: 0.01)
        XCTAssertEqual(drawn[2].width / drawn[0].width, 4, accuracy: 0.01)
        XCTAssert(zip(drawn, drawn.dropFirst()).allSatisfy { $0.y + $0.height <= $1.y }, "rows go down in the labels' order")
        XCTAssert(drawn.allSatisfy { $0.y >= axes.top && $0.y + $0.height <= axes.top + axes.plotHeight })
        XCTAssertEqual(axes.plotHeight, 3 * chart.rowHeight, accuracy: 1e-9, "the canvas grows with the rows")
        for text in ["layers.0.weight", "layers.4.weight", "fc", "25.0%", "50.0%", "100.0%", "pruned (%)", "pruned per layer"] {
            XCTAssert(svg.texts.contains(text), "\(text) in \(svg.texts)")
        }
        // The label sits in its bar's row.
        let label = svg.elements.first { $0.name == "text" && $0.attributes["text-anchor"] == "end" }
        let labelY = try XCTUnwrap(label?.attributes["y"]).flatMap(Double.init)
        XCTAssert((drawn[0].y...(drawn[0].y + drawn[0].height + 6)).contains(try XCTUnwrap(labelY)))
    }

    func testTheAxisCoversEveryValueAndNonFiniteValuesDrawNoBar() throws {
        let chart = SVGBarChart(title: "t", valueLabel: "v", labels: ["a", "b", "c", "d"], series: [
            .init(name: "first", values: [150, -20, .nan, 10], color: "#d62728"),
            .init(name: "second", values: [5, .infinity, 30, 10], color: "#2ca02c"),
        ], valueRange: 0...100)
        let text = chart.svg
        XCTAssertFalse(text.lowercased().contains("nan") || text.lowercased().contains("inf"), text)
        let svg = try XMLElements(text)
        let axes = chart.axes
        XCTAssertEqual(axes.x.lowerBound, -20)
        XCTAssertEqual(axes.x.upperBound, 150)
        let first = bars(svg, color: "#d62728"), second = bars(svg, color: "#2ca02c")
        XCTAssertEqual(first.count, 3, "nan draws no bar")
        XCTAssertEqual(second.count, 3, "infinity draws no bar")
        XCTAssertEqual(first[1].x, axes.px(-20), accuracy: 0.1, "a negative bar runs left from zero")
        XCTAssertEqual(first[1].x + first[1].width, axes.px(0), accuracy: 0.1)
        XCTAssert(first.allSatisfy { $0.x >= axes.left - 0.1 && $0.x + $0.width <= axes.left + axes.plotWidth + 0.1 })
        // Two series share a row without overlapping: the first above the second.
        XCTAssertLessThanOrEqual(first[0].y + first[0].height, second[0].y + 0.01)
        XCTAssertEqual(first[2].y + first[2].height, try XCTUnwrap(chart.bar(series: 1, row: 3)).y, accuracy: 0.01)
        XCTAssert(svg.texts.contains("first") && svg.texts.contains("second"), "a legend with two series")
    }
}
