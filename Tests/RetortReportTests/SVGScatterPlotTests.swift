import Foundation
import XCTest
import RetortReport

/// Every finite point is drawn where its numbers say, inside the axes, with its series' marker.
final class SVGScatterPlotTests: XCTestCase {
    private let series: [SVGScatterPlot.Series] = [
        .init(name: "0 t-shirt", points: [(-2, 1), (0.5, 3.5), (.nan, 1), (1, .infinity)], color: SVG.color(0)),
        .init(name: "2 <pullover>", points: [(4, -1), (3, 0)], color: SVG.color(1), marker: .ring),
        .init(name: "6 shirt", points: [(1, 2)], color: SVG.color(2), marker: .cross),
    ]

    func testPointsLandWhereTheNumbersSay() throws {
        let plot = SVGScatterPlot(title: "train", xLabel: "e1", yLabel: "e2", series: series)
        let axes = plot.axes
        // Every finite value is inside the ranges, with room: −2…4 and −1…3.5 widened by 5%.
        XCTAssertEqual(axes.x.lowerBound, -2.3, accuracy: 1e-9)
        XCTAssertEqual(axes.x.upperBound, 4.3, accuracy: 1e-9)
        XCTAssertEqual(axes.y.lowerBound, -1.225, accuracy: 1e-9)
        XCTAssertEqual(axes.y.upperBound, 3.725, accuracy: 1e-9)
        let document = plot.svg
        XCTAssertFalse(document.lowercased().contains("nan") || document.contains("inf"), "non-finite points are left out")
        let svg = try XMLElements(document)
        let plotArea = (axes.left...(axes.left + axes.plotWidth), axes.top...(axes.top + axes.plotHeight))
        // Data marks are the circles inside the plot area (legend samples sit in the right margin).
        let circles = svg.named("circle").compactMap { circle -> (x: Double, y: Double, filled: Bool)? in
            guard let x = Double(circle["cx"] ?? ""), let y = Double(circle["cy"] ?? ""), plotArea.0.contains(x) else { return nil }
            XCTAssert(plotArea.1.contains(y))
            return (x, y, circle["fill"] != "none")
        }
        let expected: [(Double, Double, Bool)] = [(-2, 1, true), (0.5, 3.5, true), (4, -1, false), (3, 0, false)]
        XCTAssertEqual(circles.count, expected.count)
        for ((x, y, filled), drawn) in zip(expected, circles) {
            XCTAssertEqual(drawn.x, axes.px(x), accuracy: 0.051)
            XCTAssertEqual(drawn.y, axes.py(y), accuracy: 0.051)
            XCTAssertEqual(drawn.filled, filled, "dots are filled, rings are not")
        }
        // The cross at (1, 2): its path starts 3 px up and left of the point.
        let cross = try XCTUnwrap(svg.named("path").first { $0["stroke"] == SVG.color(2) }?["d"])
        XCTAssert(cross.hasPrefix("M\(SVG.number(axes.px(1) - 3)) \(SVG.number(axes.py(2) - 3))L"), cross)
        for name in ["0 t-shirt", "2 <pullover>", "6 shirt", "train", "e1", "e2"] { XCTAssert(svg.texts.contains(name), name) }
    }

    func testGivenRangesAreKept() throws {
        let plot = SVGScatterPlot(title: "test", xLabel: "x", yLabel: "y", series: series, x: -10...10, y: 0...20)
        XCTAssertEqual(plot.axes.x, -10...10)
        XCTAssertEqual(plot.axes.y, 0...20)
        let svg = try XMLElements(plot.svg)
        let first = try XCTUnwrap(svg.named("circle").first)
        XCTAssertEqual(Double(first["cx"] ?? ""), Double(SVG.number(plot.axes.px(-2))))
        XCTAssertEqual(Double(first["cy"] ?? ""), Double(SVG.number(plot.axes.py(1))))
    }

    func testEqualScaleDrawsDistancesAlike() {
        var plot = SVGScatterPlot(title: "t", xLabel: "x", yLabel: "y", series: series, equalScale: true)
        let axes = plot.axes
        // A unit step is as long in pixels on x as on y, and every point is still inside.
        XCTAssertEqual(axes.px(1) - axes.px(0), axes.py(0) - axes.py(1), accuracy: 1e-9)
        XCTAssert(axes.x.contains(-2.3) && axes.x.contains(4.3) && axes.y.contains(-1.225) && axes.y.contains(3.725))
        XCTAssertEqual((axes.x.lowerBound + axes.x.upperBound) / 2, 1, accuracy: 1e-9, "widened about the centre")
        plot.equalScale = false
        XCTAssertNotEqual(plot.axes.px(1) - plot.axes.px(0), plot.axes.py(0) - plot.axes.py(1))
    }

    /// With a square plot area, both axes get five ticks of one round step.
    func testASquarePlotAreaGetsRoundTicks() {
        let plot = SVGScatterPlot(title: "t", xLabel: "x", yLabel: "y", series: series, equalScale: true, width: 520, height: 406)
        let axes = plot.axes
        XCTAssertEqual(axes.plotWidth, axes.plotHeight)
        // x needs −2.3…4.3 and y −1.225…3.725: a step of 1.5 covers −3…4.5 on x and −1.5…6 on y (1 is too short for y).
        XCTAssertEqual(axes.x, -3...4.5)
        XCTAssertEqual(axes.y, -1.5...6)
        XCTAssertEqual(axes.px(1) - axes.px(0), axes.py(0) - axes.py(1), accuracy: 1e-9)
    }
}
