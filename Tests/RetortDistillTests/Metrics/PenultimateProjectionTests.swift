import Foundation
import XCTest
import RetortDistill
import RetortTestSupport

/// The projection against a direct Double computation on a tiny model's templates and activations,
/// the geometry of the plane, and the spread on hand-made points.
final class PenultimateProjectionTests: ContextTestCase {
    /// Gram–Schmidt on w_b − w_a and w_c − w_a, then dot products with h − w_a, written out.
    private func direct(_ templates: [[Float]], _ classes: [Int], _ h: [Float]) -> (Double, Double) {
        let w = classes.map { templates[$0].map(Double.init) }
        var u = [Double](), v = [Double]()
        for i in w[0].indices { u.append(w[1][i] - w[0][i]); v.append(w[2][i] - w[0][i]) }
        let uu = u.map { $0 * $0 }.reduce(0, +).squareRoot()
        let e1 = u.map { $0 / uu }
        let projection = zip(v, e1).map(*).reduce(0, +)
        var r = [Double]()
        for i in v.indices { r.append(v[i] - projection * e1[i]) }
        let rr = r.map { $0 * $0 }.reduce(0, +).squareRoot()
        let e2 = r.map { $0 / rr }
        var x = 0.0, y = 0.0
        for i in h.indices { x += e1[i] * (Double(h[i]) - w[0][i]); y += e2[i] * (Double(h[i]) - w[0][i]) }
        return (x, y)
    }

    func testProjectionOfATinyModelsActivationsEqualsTheDirectComputation() throws {
        let model = try ModelZoo.make("plane2", inputChannels: 1, inputSize: 16, classes: 4, context: context, seed: 11)
        let layer = try PenultimateLayer(of: model)
        let source = SyntheticSource(count: 24, batchSize: 8, classes: 4, side: 16, seed: 2)
        let classes = [3, 0, 2]
        let projection = try PenultimateProjection(templates: layer.templates, classes: classes)
        let examples = try layer.examples(from: source, classes: Set(classes))
        XCTAssertEqual(examples.count, 18)
        let points = projection.points(examples)
        for (example, point) in zip(examples, points) {
            let (x, y) = direct(layer.templates, classes, example.activations)
            XCTAssertEqual(point.label, example.label)
            XCTAssertEqual(point.x, x, accuracy: 1e-9 * max(1, abs(x)))
            XCTAssertEqual(point.y, y, accuracy: 1e-9 * max(1, abs(y)))
        }
        // The basis is orthonormal and spans the templates' plane: they land at their own distances.
        let (e1, e2) = (projection.basis[0], projection.basis[1])
        XCTAssertEqual(zip(e1, e1).map(*).reduce(0, +), 1, accuracy: 1e-12)
        XCTAssertEqual(zip(e2, e2).map(*).reduce(0, +), 1, accuracy: 1e-12)
        XCTAssertEqual(zip(e1, e2).map(*).reduce(0, +), 0, accuracy: 1e-12)
        let places = classes.map { projection.coordinates(of: layer.templates[$0]) }
        func distance(_ a: Int, _ b: Int) -> Double {
            zip(layer.templates[classes[a]], layer.templates[classes[b]]).map { Double($0) - Double($1) }
                .map { $0 * $0 }.reduce(0, +).squareRoot()
        }
        XCTAssertEqual(places[0].x, 0, accuracy: 1e-9)
        XCTAssertEqual(places[0].y, 0, accuracy: 1e-9)
        XCTAssertEqual(places[1].x, distance(0, 1), accuracy: 1e-6)
        XCTAssertEqual(places[1].y, 0, accuracy: 1e-6)
        XCTAssertEqual(hypot(places[2].x, places[2].y), distance(0, 2), accuracy: 1e-6)
        XCTAssertEqual(hypot(places[2].x - places[1].x, places[2].y - places[1].y), distance(1, 2), accuracy: 1e-6)
        XCTAssertGreaterThan(places[2].y, 0)
    }

    func testSpreadOfHandMadePoints() throws {
        let projection = try PenultimateProjection(templates: [[0, 0, 0], [1, 0, 0], [0, 1, 0]], classes: [0, 1, 2])
        typealias Point = PenultimateProjection.Point
        // Class 0 around (0, 0) at distance 1; class 1 around (6, 0) at distance 2; class 2 at (0, 8) exactly.
        let points = [Point(label: 0, x: 1, y: 0), Point(label: 0, x: -1, y: 0), Point(label: 1, x: 6, y: 2), Point(label: 1, x: 6, y: -2),
                      Point(label: 2, x: 0, y: 8), Point(label: 5, x: 100, y: 100)]
        let spread = projection.spread(of: points)
        XCTAssertEqual(spread.perClass, [1, 2, 0])
        XCTAssertEqual(spread.centroidDistance, (6 + 8 + 10) / 3, accuracy: 1e-12)
        XCTAssertEqual(spread.ratio, 1.0 / 8, accuracy: 1e-12)
    }

    func testThreeDistinctClassesSpanningAPlane() {
        let templates: [[Float]] = [[1, 0], [2, 0], [3, 0], [0, 1]]
        XCTAssertThrowsError(try PenultimateProjection(templates: templates, classes: [0, 1, 2])) {
            XCTAssertEqual($0 as? DiagnosticError, .collinearTemplates([0, 1, 2]))
        }
        XCTAssertThrowsError(try PenultimateProjection(templates: templates, classes: [0, 1])) {
            XCTAssertEqual($0 as? DiagnosticError, .invalidClasses([0, 1], classes: 4))
        }
        XCTAssertThrowsError(try PenultimateProjection(templates: templates, classes: [0, 1, 4]))
        XCTAssertThrowsError(try PenultimateProjection(templates: templates, classes: [0, 0, 3]))
        XCTAssertNoThrow(try PenultimateProjection(templates: templates, classes: [0, 1, 3]))
    }
}
