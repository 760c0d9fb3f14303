import Foundation
import XCTest
import RetortDistill
import RetortTestSupport

/// The landscape against weights perturbed by hand and a loss computed on the host, filter
/// normalization, seeding, and the weights left exactly as they were.
final class LossLandscapeTests: ContextTestCase {
    private let source = SyntheticSource(count: 20, batchSize: 8, classes: 4, side: 16, seed: 4)

    private func model() throws -> any Classifier {
        try ModelZoo.make("plane2", inputChannels: 1, inputSize: 16, classes: 4, context: context, seed: 9)
    }

    /// Mean cross-entropy of the source under the model's current weights, from its logits, in Double.
    private func directLoss(_ model: any Classifier) throws -> Double {
        model.eval()
        var total = 0.0, count = 0
        for batch in try source.epochBatches(0) {
            let logits = try context.noGrad { try model(tensor(batch.images, batch.shape)).toArray() }
            for (row, label) in batch.labels.enumerated() {
                let z = logits[row * 4..<(row + 1) * 4].map(Double.init)
                let top = z.max()!
                total += top + log(z.map { exp($0 - top) }.reduce(0, +)) - z[label]
                count += 1
            }
        }
        return total / Double(count)
    }

    func testCurveEqualsTheLossOfWeightsPerturbedByHand() throws {
        let network = try model()
        let before = try network.parameters().map { try $0.toArray() }
        let landscape = try LossLandscape(model: network, directions: 1, seed: 21)
        let alphas = try LossLandscape.grid(radius: 0.5, count: 5)
        XCTAssertEqual(alphas, [-0.5, -0.25, 0, 0.25, 0.5])
        let curve = try landscape.curve(alphas, on: source)
        XCTAssertEqual(try network.parameters().map { try $0.toArray() }, before, "the weights are θ again, bit for bit")
        XCTAssertEqual(curve[2], try Evaluation.run(network, on: source).loss, "α = 0 is the unperturbed loss")
        for (alpha, loss) in zip(alphas, curve) {
            for (parameter, (weight, direction)) in zip(network.parameters(), zip(before, landscape.directions[0])) {
                try parameter.assign(zip(weight, direction).map { Float(Double($0) + alpha * Double($1)) })
            }
            XCTAssertEqual(loss, try directLoss(network), accuracy: 1e-5 * max(1, loss), "α = \(alpha)")
        }
        XCTAssertNotEqual(curve[0], curve[2], "a step of half the weights' size changes the loss")
        XCTAssertEqual(LossLandscape.sharpness(curve, atSolution: curve[2]), curve.reduce(0, +) / 5 - curve[2], accuracy: 1e-12)
    }

    func testDirectionsAreFilterNormalizedAndSeeded() throws {
        let network = try model()
        let landscape = try LossLandscape(model: network, directions: 2, seed: 3)
        let named = network.namedParameters()
        for direction in landscape.directions {
            for ((name, parameter), (weight, values)) in zip(named, zip(landscape.origin, direction)) {
                if parameter.shape.count < 2 {
                    XCTAssert(values.allSatisfy { $0 == 0 }, "\(name): biases and batch-norm parameters stay put")
                    continue
                }
                let size = weight.count / parameter.shape[0]
                for row in 0..<parameter.shape[0] {
                    let span = row * size..<(row + 1) * size
                    let norms = [weight[span], values[span]].map { $0.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot() }
                    XCTAssertEqual(norms[1], norms[0], accuracy: 1e-5 * norms[0], "\(name) filter \(row)")
                }
            }
        }
        XCTAssertNotEqual(landscape.directions[0], landscape.directions[1])
        XCTAssertEqual(try LossLandscape(model: network, directions: 2, seed: 3).directions, landscape.directions,
                       "same seed, same directions")
        XCTAssertNotEqual(try LossLandscape(model: network, directions: 1, seed: 4).directions[0], landscape.directions[0])
    }

    func testSurfaceAgreesWithTheCurveAndRestoresTheWeights() throws {
        let network = try model()
        let before = try network.parameters().map { try $0.toArray() }
        let landscape = try LossLandscape(model: network, directions: 2, seed: 8)
        let alphas = try LossLandscape.grid(radius: 1, count: 3)
        let surface = try landscape.surface(alphas, alphas, on: source)
        XCTAssertEqual(surface.map(\.count), [3, 3, 3])
        XCTAssertEqual(surface[1], try landscape.curve(alphas, on: source), "the β = 0 row is the curve along d₁")
        XCTAssertEqual(surface[1][1], try Evaluation.run(network, on: source).loss)
        XCTAssertEqual(try network.parameters().map { try $0.toArray() }, before)
        XCTAssertEqual(LossLandscape.sharpness([3, 1, 2], atSolution: 1), 1)
        XCTAssertThrowsError(try LossLandscape(model: network, directions: 3, seed: 0))
        XCTAssertThrowsError(try LossLandscape.grid(radius: 0, count: 5))
        XCTAssertThrowsError(try LossLandscape.grid(radius: 1, count: 1))
        XCTAssertThrowsError(try LossLandscape(model: network, directions: 1, seed: 0).surface(alphas, alphas, on: source))
    }
}
