import Foundation
import XCTest
import RetortReport

/// The plot is well-formed, self-contained SVG with its lines, dashes, axis titles and legend.
final class SVGLinePlotTests: XCTestCase {
    func testLinesDashesAxesAndLegend() throws {
        let plot = SVGLinePlot(title: "top-1 <by> epoch & size", xLabel: "teacher epoch", yLabel: "test top-1 (%)", series: [
            .init(name: "student, batch 32", points: [(1, 60), (2, 70), (3, 65)], color: "#1f77b4"),
            .init(name: "teacher, batch 32", points: [(1, 80), (2, 85), (3, 88)], color: "#1f77b4", dashed: true),
        ])
        let svg = try XMLElements(plot.svg)
        XCTAssertEqual(svg.elements.first?.name, "svg")
        XCTAssertEqual(svg.elements.first?.attributes["xmlns"], "http://www.w3.org/2000/svg")
        let lines = svg.elements.filter { $0.name == "polyline" }
        XCTAssertEqual(lines.count, 2)
        XCTAssertNil(lines[0].attributes["stroke-dasharray"])
        XCTAssertNotNil(lines[1].attributes["stroke-dasharray"], "the teacher's line is dashed")
        // Three points per line, inside the canvas; the higher accuracy is drawn higher (smaller y).
        let points = try lines.map { line in
            try XCTUnwrap(line.attributes["points"]).split(separator: " ").map { $0.split(separator: ",").compactMap { Double($0) } }
        }
        XCTAssertEqual(points.map(\.count), [3, 3])
        XCTAssert(points.joined().allSatisfy { $0.count == 2 && (0...640).contains($0[0]) && (0...400).contains($0[1]) })
        XCTAssertLessThan(points[0][1][1], points[0][0][1], "70% is above 60%")
        XCTAssertLessThan(points[1][0][1], points[0][1][1], "the teacher's 80% is above the student's 70%")
        XCTAssertEqual(svg.elements.filter { $0.name == "circle" }.count, 6)
        XCTAssert(svg.texts.contains("top-1 <by> epoch & size"), "escaped and read back: \(svg.texts)")
        for label in ["teacher epoch", "test top-1 (%)", "student, batch 32", "teacher, batch 32", "1", "2", "3"] {
            XCTAssert(svg.texts.contains(label), "\(label) in \(svg.texts)")
        }
        XCTAssertFalse(plot.svg.contains("href"), "nothing external")
    }

    func testASinglePointStillDraws() throws {
        let plot = SVGLinePlot(title: "t", xLabel: "x", yLabel: "y", series: [.init(name: "one", points: [(5, 50)], color: "#d62728")])
        let svg = try XMLElements(plot.svg)
        let line = try XCTUnwrap(svg.elements.first { $0.name == "polyline" })
        XCTAssertFalse(try XCTUnwrap(line.attributes["points"]).contains("nan"))
    }
}
