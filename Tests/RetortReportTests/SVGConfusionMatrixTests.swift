import Foundation
import XCTest
import RetortReport

/// Cells stand in their row (true class) and column (predicted class), shaded by their share of the
/// row and labelled with their count; the per-class accuracy sits beside each row.
final class SVGConfusionMatrixTests: XCTestCase {
    private let matrix = SVGConfusionMatrix(title: "confusion", labels: ["T-shirt/top", "Trouser", "Bag <&>"],
                                            counts: [[8, 2, 0], [1, 9, 0], [0, 0, 0]], perClassAccuracy: [0.8, 0.9, nil])

    func testCellsWhereTheCountsSay() throws {
        let svg = try XMLElements(matrix.svg)
        let axes = matrix.axes
        XCTAssertEqual(axes.x, 0...3)
        XCTAssertEqual(axes.y, 0...3)
        XCTAssertFalse(axes.showsTicks)
        let cells = svg.classed("cell")
        XCTAssertEqual(cells.count, 9)
        for label in 0..<3 {
            for predicted in 0..<3 {
                let cell = cells[label * 3 + predicted]
                XCTAssertEqual(try number(cell, "x"), axes.px(Double(predicted)), accuracy: 0.06)
                XCTAssertEqual(try number(cell, "y"), axes.py(Double(3 - label)), accuracy: 0.06, "row \(label) from the top")
                XCTAssertEqual(try number(cell, "width"), axes.px(1) - axes.px(0), accuracy: 0.06)
                XCTAssertEqual(try number(cell, "height"), axes.py(0) - axes.py(1), accuracy: 0.06)
            }
        }
        XCTAssertEqual(matrix.fraction(0, 0), 0.8)
        XCTAssertEqual(matrix.fraction(2, 2), 0, "an empty row shades nothing")
        XCTAssertEqual(cells[0]["fill"], "#4c92c3", "80% of the row: 0.8 of the way from white to the palette's blue")
        XCTAssertEqual(cells[2]["fill"], "#ffffff")
        let counts = svg.classed("count")
        XCTAssertEqual(counts.count, 9)
        XCTAssertEqual(Array(svg.texts.filter { ["0", "1", "2", "8", "9"].contains($0) }.prefix(9)),
                       ["8", "2", "0", "1", "9", "0", "0", "0", "0"], "row by row")
    }

    func testLabelsAndTheAccuracyColumn() throws {
        let svg = try XMLElements(matrix.svg)
        let axes = matrix.axes
        let rows = svg.classed("row-label")
        let columns = svg.classed("column-label")
        XCTAssertEqual(rows.count, 3)
        XCTAssertEqual(columns.count, 3)
        XCTAssertEqual(svg.texts.filter { $0 == "Bag <&>" }.count, 2, "escaped, read back on both edges")
        let accuracy = svg.classed("accuracy")
        XCTAssertEqual(accuracy.count, 3)
        for (row, cell) in accuracy.enumerated() {
            XCTAssertGreaterThan(try number(cell, "x"), axes.px(3), "beside the matrix")
            XCTAssertEqual(try number(cell, "y"), axes.py(Double(3 - row)), accuracy: 0.06, "on its class's row")
            XCTAssertLessThanOrEqual(try number(cell, "x") + number(cell, "width"), axes.width, "inside the canvas")
        }
        XCTAssertEqual(svg.texts.filter { $0.hasSuffix("%") || $0 == "–" }, ["80.0%", "90.0%", "–"])
        XCTAssert(svg.texts.contains("predicted class") && svg.texts.contains("true class") && svg.texts.contains("accuracy"))
    }

    func testManyClassesShrinkTheCellsAndDropTheCounts() throws {
        let classes = 100
        let counts = (0..<classes).map { row in (0..<classes).map { $0 == row ? 50 : 0 } }
        let big = SVGConfusionMatrix(title: "cifar100", labels: [], counts: counts, perClassAccuracy: Array(repeating: 1, count: classes))
        XCTAssertEqual(big.cellSize, 6)
        let svg = try XMLElements(big.svg)
        XCTAssertEqual(svg.classed("cell").count, classes * classes)
        XCTAssert(svg.classed("count").isEmpty, "no room for counts in 6-pixel cells")
        XCTAssertLessThanOrEqual(big.axes.width, 800)
    }

    func testNonFiniteAccuracyDrawsNothingInvalid() throws {
        let odd = SVGConfusionMatrix(title: "t", labels: ["a", "b"], counts: [[1, 0], [0, 0]], perClassAccuracy: [.nan, .infinity])
        let text = odd.svg.lowercased()
        XCTAssertFalse(text.contains("nan") || text.contains("inf"), text)
        _ = try XMLElements(odd.svg)
    }
}
