import Foundation
import XCTest
import RetortReport

/// The cells carry their values' colours, the iso-lines lie on their levels, and nothing
/// non-finite reaches the SVG.
final class SVGContourPlotTests: XCTestCase {
    private func plot(_ f: (Double, Double) -> Double, xs: [Double], ys: [Double], levels: [Double]? = nil) -> SVGContourPlot {
        SVGContourPlot(title: "loss", xLabel: "α", yLabel: "β", xs: xs, ys: ys, values: ys.map { y in xs.map { x in f(x, y) } },
                       levels: levels, mark: ("θ", 0, 0))
    }

    /// Linear interpolation along the edges is exact for a linear function, so every segment's ends
    /// satisfy x + 2y = level, and they are on the grid's cell edges.
    func testIsoLinesOfALinearFunctionAreExact() {
        let xs = [-1, -0.5, 0, 0.5, 1.0], ys = [-1, -0.25, 0.5, 1.0]
        let contour = plot({ $0 + 2 * $1 }, xs: xs, ys: ys)
        for level in [-2.2, -0.3, 0, 0.7, 2.5] {
            let segments = contour.segments(at: level)
            XCTAssertFalse(segments.isEmpty, "level \(level) crosses the grid")
            for segment in segments {
                for end in [segment.from, segment.to] {
                    XCTAssertEqual(end.x + 2 * end.y, level, accuracy: 1e-12)
                    XCTAssert(xs.contains(end.x) || ys.contains(end.y), "\(end) lies on a cell edge")
                }
            }
        }
        XCTAssert(contour.segments(at: 3.5).isEmpty, "no line above the highest value")
        XCTAssertEqual(contour.drawnLevels.count, 8)
        XCTAssert(contour.drawnLevels.allSatisfy { (-3...3).contains($0) && $0 != -3 && $0 != 3 })
    }

    /// A saddle cell (the level crosses all four edges) gives two segments that cut off the two
    /// corners on the other side of the level than the cell's centre.
    func testSaddleIsResolvedByTheCentre() {
        // Corners (0,0)=1, (1,0)=0, (1,1)=1, (0,1)=0: centre 0.5.
        let high = SVGContourPlot(title: "", xLabel: "", yLabel: "", xs: [0, 1], ys: [0, 1], values: [[1, 0], [0, 1]])
        // Level 0.4: the centre (0.5) is above, as corners (0,0) and (1,1): segments cut off (1,0) and (0,1).
        let cut = high.segments(at: 0.4)
        XCTAssertEqual(cut.count, 2)
        let corners = cut.map { segment in (segment.from.x + segment.to.x, segment.from.y + segment.to.y) }
        XCTAssert(corners.contains { $0.0 > 1 && $0.1 < 1 } && corners.contains { $0.0 < 1 && $0.1 > 1 }, "\(cut)")
        // Level 0.6: the centre is below, with (1,0) and (0,1): segments cut off (0,0) and (1,1).
        let other = high.segments(at: 0.6).map { segment in (segment.from.x + segment.to.x, segment.from.y + segment.to.y) }
        XCTAssert(other.contains { $0.0 < 1 && $0.1 < 1 } && other.contains { $0.0 > 1 && $0.1 > 1 }, "\(other)")
    }

    func testCellsAreColouredByValueAndPlacedOnTheGrid() throws {
        let xs = [-1.0, 0, 1], ys = [-1.0, 0, 1]
        let contour = plot({ $0 * $0 + $1 * $1 }, xs: xs, ys: ys)
        XCTAssertEqual(contour.valueRange, 0...2)
        let svg = try XMLElements(contour.svg)
        let axes = contour.axes
        // The nine cells come first: each centred on its grid point, half cells at the edges.
        let cells = Array(svg.named("rect").dropFirst().prefix(9))
        XCTAssertEqual(cells.count, 9)
        let centre = cells[4]
        XCTAssertEqual(Double(centre["x"] ?? ""), Double(SVG.number(axes.px(-0.5))))
        XCTAssertEqual(Double(centre["y"] ?? ""), Double(SVG.number(axes.py(0.5))))
        XCTAssertEqual(centre["fill"], SVGContourPlot.viridis(0), "the lowest value takes the darkest colour")
        XCTAssertEqual(cells[0]["fill"], SVGContourPlot.viridis(1), "a corner holds the highest value")
        XCTAssertEqual(cells[1]["fill"], SVGContourPlot.viridis(0.5))
        XCTAssertEqual(Double(cells[0]["x"] ?? ""), Double(SVG.number(axes.left)), "the first cell starts at the left edge")
        XCTAssertEqual(SVGContourPlot.viridis(0), "#440154")
        XCTAssertEqual(SVGContourPlot.viridis(1), "#fde725")
        XCTAssert(svg.texts.contains("θ") && svg.texts.contains("2") && svg.texts.contains("0"), "\(svg.texts)")
        XCTAssertFalse(svg.named("line").isEmpty, "iso-lines")
    }

    func testNonFiniteSamplesAreGreyAndUncrossed() throws {
        var values = [[0.0, 1, 2], [1, 2, 3], [2, 3, 4]]
        values[0][0] = .nan
        let contour = SVGContourPlot(title: "t", xLabel: "x", yLabel: "y", xs: [0, 1, 2], ys: [0, 1, 2], values: values)
        XCTAssertEqual(contour.valueRange, 1...4)
        XCTAssertEqual(contour.color(of: .nan), "#bbbbbb")
        XCTAssert(contour.segments(at: 1.5).allSatisfy { $0.from.x >= 1 || $0.from.y >= 1 }, "the NaN cell holds no line")
        let document = contour.svg
        XCTAssertFalse(document.lowercased().contains("nan"))
        _ = try XMLElements(document)
    }

    /// On a logarithmic scale, the geometric mean of the extremes takes the middle colour and the
    /// default levels are evenly spaced in the logarithm; a scale with a non-positive value stays linear.
    func testLogarithmicScale() throws {
        let contour = SVGContourPlot(title: "t", xLabel: "x", yLabel: "y", xs: [0, 1, 2], ys: [0, 1], values: [[0.1, 1, 10], [1, 10, 100]],
                                     logarithmic: true)
        XCTAssert(contour.isLogarithmic)
        XCTAssertEqual(contour.fraction(of: 1), 1.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(contour.color(of: 10), SVGContourPlot.viridis(2.0 / 3))
        let levels = contour.drawnLevels
        XCTAssertEqual(levels.count, 8)
        for (a, b) in zip(levels, levels.dropFirst()) { XCTAssertEqual(b / a, pow(1000, 1.0 / 9), accuracy: 1e-9) }
        XCTAssert(try XMLElements(contour.svg).texts.contains("log scale"))
        var linear = contour
        linear.values[0][0] = 0
        XCTAssertFalse(linear.isLogarithmic)
        XCTAssertEqual(linear.fraction(of: 50), 0.5, accuracy: 1e-12)
    }
}
