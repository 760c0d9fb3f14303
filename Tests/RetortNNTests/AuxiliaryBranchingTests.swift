import XCTest
@testable import RetortNN
import RetortTestSupport

/// The branch-point hook of SOKD's auxiliary network: trunk + head reproduce the model, and the
/// branch is a fresh copy of the head.
final class AuxiliaryBranchingTests: ContextTestCase {
    /// (zoo name, classes, input side, expected trunk shape for a batch of 2, parameter-name
    /// prefixes of the copied head).
    private let cases: [(String, Int, Int, [Int], [String])] = [
        ("plane2", 10, 16, [2, 16, 8, 8], ["layers.0.", "layers.1.", "layers.5."]),   // Conv16 MP | Conv16 MP; branch: conv, BN, (ReLU, MP, flatten), FC
        ("plane6", 100, 16, [2, 64, 4, 4], ["layers."]),                              // … MP | Conv128 Conv128 (no final pool)
        ("resnet8", 10, 16, [2, 32, 8, 8], ["layer3.", "fc."]),
        ("wrn_16_1", 10, 16, [2, 32, 8, 8], ["block3.", "bn1.", "fc."]),
    ]

    func testTrunkThenHeadIsTheModel() throws {
        var generator = SplitMix64(seed: 5)
        for (name, classes, side, trunkShape, _) in cases {
            let model = try ModelZoo.make(name, inputChannels: 1, inputSize: side, classes: classes, context: context, seed: 1)
                .asAuxiliaryBranching(model: name)
            model.eval()
            let x = try tensor(generator.floats(2 * side * side, in: -1...1), [2, 1, side, side])
            let trunk = try model.trunk(x)
            XCTAssertEqual(trunk.shape, trunkShape, name)
            let split = try model.logits(fromTrunk: trunk).toArray(), whole = try model(x).toArray()
            XCTAssertEqual(split, whole, "\(name): trunk then head must be the model")
        }
    }

    func testBranchIsAFreshCopyOfTheHead() throws {
        var generator = SplitMix64(seed: 6)
        for (name, classes, side, _, prefixes) in cases {
            let model = try ModelZoo.make(name, inputChannels: 1, inputSize: side, classes: classes, context: context, seed: 1)
                .asAuxiliaryBranching(model: name)
            let branch = try model.makeAuxiliaryBranch(seed: 9)
            let x = try tensor(generator.floats(2 * side * side, in: -1...1), [2, 1, side, side])
            XCTAssertEqual(try branch(model.trunk(x)).shape, [2, classes], name)
            let names = branch.namedParameters().map(\.name)
            for prefix in prefixes { XCTAssert(names.contains { $0.hasPrefix(prefix) }, "\(name): no \(prefix)… in \(names)") }
            // The head's share of the model's parameters: a copy of the same layers.
            let classifierShapes = model.namedParameters().suffix(branch.parameters().count).map(\.tensor.shape)
            XCTAssertEqual(branch.parameters().map(\.shape), classifierShapes, name)
            // Fresh: not the model's own tensors; seeded: the same seed gives the same branch.
            let modelTensors = Set(model.parameters().map(ObjectIdentifier.init))
            XCTAssert(branch.parameters().allSatisfy { !modelTensors.contains(ObjectIdentifier($0)) }, name)
            let again = try model.makeAuxiliaryBranch(seed: 9), other = try model.makeAuxiliaryBranch(seed: 10)
            func values(_ module: AuxiliaryBranch) throws -> [Float] { try module.parameters().flatMap { try $0.toArray() } }
            XCTAssertEqual(try values(branch), try values(again), name)
            XCTAssertNotEqual(try values(branch), try values(other), name)
        }
    }

    func testModelsWithoutABranchPointSayWhichHaveOne() throws {
        for name in ["vgg8", "MobileNetV2"] {
            let model = try ModelZoo.make(name, classes: 10, context: context)
            XCTAssertThrowsError(try model.asAuxiliaryBranching(model: name)) {
                XCTAssert("\($0)".contains("\(name) has no auxiliary-branch point") && "\($0)".contains("resnet"), "\($0)")
            }
        }
    }
}
