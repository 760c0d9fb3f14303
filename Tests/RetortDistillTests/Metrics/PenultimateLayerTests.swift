import Foundation
import XCTest
import RetortDistill
import RetortTestSupport

/// The templates are the last linear layer's rows and the activations what that layer reads, for a
/// plain CNN that flattens, one with a hidden fully connected layer, and a ResNet that pools.
final class PenultimateLayerTests: ContextTestCase {
    private let source = SyntheticSource(count: 12, batchSize: 5, classes: 4, side: 16, seed: 7)

    func testTemplatesAndActivationsOfEveryKindOfHead() throws {
        let heads = [("plane2", "layers.8.weight", 16 * 4 * 4), ("plane8", "layers.30.weight", 64), ("resnet8", "fc.weight", 64)]
        for (name, head, width) in heads {
            let model = try ModelZoo.make(name, inputChannels: 1, inputSize: 16, classes: 4, context: context, seed: 5)
            let layer = try PenultimateLayer(of: model)
            let weight = try XCTUnwrap(model.namedParameters().first { $0.name == head }, name).tensor
            XCTAssertEqual(weight.shape, [4, width], name)
            XCTAssertEqual(layer.width, width, name)
            XCTAssertEqual(layer.templates.flatMap { $0 }, try weight.toArray(), "\(name): the rows of \(head)")
            let batch = try XCTUnwrap(source.epochBatches(0).first { _ in true })
            let images = try tensor(batch.images, batch.shape)
            let activations = try layer.activations(of: images)
            XCTAssertEqual(activations.count, batch.count * width)
            if name != "plane8" {
                let pooled = try context.noGrad { try model.features(images).pooled.toArray() }
                XCTAssertEqual(activations, pooled, "\(name): the pooled vector")
            } else {
                XCTAssert(activations.allSatisfy { $0 >= 0 }, "plane8: after the hidden layer's ReLU")
                XCTAssertNotEqual(activations.count, try context.noGrad { try model.features(images).pooled.count })
            }
            let examples = try layer.examples(from: source, classes: [1, 3])
            XCTAssertEqual(examples.map(\.label), try source.epochBatches(0).flatMap(\.labels).filter { $0 == 1 || $0 == 3 }, name)
            XCTAssertEqual(examples.first?.activations.count, width)
        }
    }
}
