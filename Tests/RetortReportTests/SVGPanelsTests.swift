import Foundation
import XCTest
import RetortReport

/// Panels sit side by side in one document as wide as all of them and as tall as the tallest.
final class SVGPanelsTests: XCTestCase {
    func testPanelsSitSideBySide() throws {
        let left = SVGScatterPlot(title: "train", xLabel: "x", yLabel: "y", series: [.init(name: "a", points: [(0, 0)], color: "#000000")])
        let right = SVGLinePlot(title: "test", xLabel: "x", yLabel: "y",
                                series: [.init(name: "b", points: [(0, 1), (1, 2)], color: "#000000")],
                                width: 300, height: 500)
        let panels = SVGPanels([.init(svg: left.svg, width: left.width, height: left.height),
                                .init(svg: right.svg, width: right.width, height: right.height)])
        XCTAssertEqual(panels.offsets, [0, left.width])
        let svg = try XMLElements(panels.svg)
        let outer = try XCTUnwrap(svg.elements.first)
        XCTAssertEqual(outer.name, "svg")
        XCTAssertEqual(Double(outer.attributes["width"] ?? ""), left.width + 300)
        XCTAssertEqual(Double(outer.attributes["height"] ?? ""), 500)
        XCTAssertEqual(svg.named("g").compactMap { $0["transform"] }, ["translate(0.0 0)", "translate(\(SVG.number(left.width)) 0)"])
        XCTAssertEqual(svg.named("svg").count, 3, "the document and its two panels")
        XCTAssert(svg.texts.contains("train") && svg.texts.contains("test"))
    }
}
