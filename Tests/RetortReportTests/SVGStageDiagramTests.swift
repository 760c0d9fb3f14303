import Foundation
import XCTest
import RetortReport

/// Boxes go left to right by column and down by row; each arrow runs from its teacher's box to its
/// student's, labelled; every text is in the SVG.
final class SVGStageDiagramTests: XCTestCase {
    private let diagram = SVGStageDiagram(title: "plane10 → plane6 → plane2", stages: [
        .init(name: "plane10", lines: ["300,000 parameters", "top-1 90.00%"], column: 0),
        .init(name: "plane6", lines: ["100,000 parameters", "top-1 89.00%"], column: 1),
        .init(name: "plane2", lines: ["20,000 parameters", "top-1 85.00%"], column: 2),
        .init(name: "plane2 (direct)", lines: ["20,000 parameters", "top-1 84.60%"], column: 2, row: 1),
    ], hops: [
        .init(from: 0, to: 1, lines: ["agreement 95.0%", "top-1 -1.00 pp"]),
        .init(from: 1, to: 2, lines: ["agreement 90.0%", "top-1 -4.00 pp"]),
        .init(from: 0, to: 3, lines: ["agreement 89.0%", "top-1 -5.40 pp"], color: "#d62728"),
    ])

    func testBoxesSitByColumnAndRowInsideTheCanvas() throws {
        let svg = try XMLElements(diagram.svg)
        let boxes = svg.named("rect").filter { $0["rx"] != nil }.map {
            (x: Double($0["x"]!)!, y: Double($0["y"]!)!, width: Double($0["width"]!)!, height: Double($0["height"]!)!)
        }
        XCTAssertEqual(boxes.count, 4)
        for (index, box) in boxes.enumerated() {
            let expected = diagram.box(index)
            XCTAssertEqual(box.x, expected.x, accuracy: 0.1)
            XCTAssertEqual(box.y, expected.y, accuracy: 0.1)
            XCTAssert(box.x >= 0 && box.x + box.width <= diagram.width && box.y >= 0 && box.y + box.height <= diagram.height)
        }
        XCTAssert(boxes[0].x + boxes[0].width < boxes[1].x && boxes[1].x + boxes[1].width < boxes[2].x, "left to right, apart")
        XCTAssertEqual(boxes[0].y, boxes[2].y)
        XCTAssertEqual(boxes[3].x, boxes[2].x, "the direct student under the chain's student")
        XCTAssertGreaterThan(boxes[3].y, boxes[2].y + boxes[2].height)
        for text in ["plane10", "plane6", "plane2", "plane2 (direct)", "300,000 parameters", "top-1 84.60%", "agreement 95.0%",
                     "top-1 -5.40 pp",
                     "plane10 → plane6 → plane2"] {
            XCTAssert(svg.texts.contains(text), "\(text) in \(svg.texts)")
        }
    }

    func testArrowsRunFromTeacherToStudent() throws {
        let svg = try XMLElements(diagram.svg)
        let arrows = svg.named("polyline").map { line in
            (line["points"] ?? "").split(separator: " ").map { $0.split(separator: ",").compactMap { Double($0) } }
        }
        XCTAssertEqual(arrows.count, 3)
        let teacher = diagram.box(0), assistant = diagram.box(1), direct = diagram.box(3)
        XCTAssertEqual(arrows[0].first?[0] ?? 0, teacher.x + teacher.width, accuracy: 0.1, "from the teacher's right edge")
        XCTAssertEqual(arrows[0].last?[0] ?? 0, assistant.x, accuracy: 0.1, "to the assistant's left edge")
        XCTAssertEqual(arrows[0].first?[1] ?? 0, teacher.y + teacher.height / 2, accuracy: 0.1)
        // The direct hop bends: down from under the teacher, then right into the direct student.
        XCTAssertEqual(arrows[2].count, 3)
        XCTAssertEqual(arrows[2][0][1], teacher.y + teacher.height, accuracy: 0.1)
        XCTAssertEqual(arrows[2][2][0], direct.x, accuracy: 0.1)
        XCTAssertEqual(arrows[2][2][1], direct.y + direct.height / 2, accuracy: 0.1)
        XCTAssertEqual(svg.named("polyline")[2]["stroke"], "#d62728")
        XCTAssertEqual(svg.named("polygon").count, 3, "an arrowhead per hop")
        XCTAssertFalse(diagram.svg.contains("nan"))
    }
}
