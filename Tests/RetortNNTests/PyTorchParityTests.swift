import Foundation
import XCTest
@testable import RetortNN
import RetortTestSupport

/// Retort against PyTorch on the same weights and inputs. The fixtures (`Fixtures/*.safetensors`)
/// come from `Benchmarks/peers/parity.py`; weights and inputs are not stored but regenerated here
/// from the same SplitMix64 stream with the same arithmetic, so the files stay a few KB.
final class PyTorchParityTests: ContextTestCase {
    static let weightSeed: UInt64 = 2024, inputSeed: UInt64 = 7
    static let labels = [3, 1, 4, 1]

    func testResNet8x4() throws { try checkParity("resnet8x4", classes: 100) }
    func testWideResNet16x2() throws { try checkParity("wrn_16_2", classes: 100) }
    func testPlainCNN4() throws { try checkParity("plane4", classes: 10) }

    private func checkParity(_ name: String, classes: Int) throws {
        let fixtures = try SafeTensors(contentsOf: Self.fixtureDirectory.appendingPathComponent("\(name).safetensors"))
        let model = try ModelZoo.make(name, classes: classes, context: context)
        let initial = try Self.deterministicStateDict(like: try model.stateDict())
        try model.load(stateDict: initial)
        let x = try Tensor(Self.batch(seed: Self.inputSeed, count: 4 * 3 * 32 * 32), shape: [4, 3, 32, 32], context: context)

        // Eval-mode logits.
        model.eval()
        let logits = try context.noGrad { try model(x) }.toArray()
        let expectedLogits = try XCTUnwrap(fixtures["eval_logits"]).floats()
        let logitError = relativeError(logits, expectedLogits)
        XCTAssertLessThanOrEqual(logitError, 1e-4, "\(name) eval logits")

        // One training step: train-mode batch norm, cross-entropy, SGD momentum 0.9, weight decay 5e-4.
        model.train()
        let optimizer = try SGDOptimizer(parameters: model.parameters(), options: .init(learningRate: 0.1, momentum: 0.9, weightDecay: 5e-4),
                                         context: context)
        let loss = try model(x).crossEntropy(labels: Self.labels)
        try loss.backward()
        try optimizer.step()
        let expectedLoss = try XCTUnwrap(fixtures["train_loss"]).floats()[0]
        XCTAssertEqual(Double(try loss.item()), Double(expectedLoss), accuracy: 1e-4 * max(1, Double(abs(expectedLoss))), "\(name) loss")
        let after = try model.stateDict()
        var compared = 0, worstAfterStep = 0.0, worstUpdate = 0.0
        for key in after.names where !key.hasSuffix("num_batches_tracked") {
            let expected = try XCTUnwrap(fixtures["after." + key], "fixture lacks \(key)").floats()
            let actual = Array(try XCTUnwrap(after[key]).floats().prefix(expected.count))
            let error = relativeError(actual, expected)
            worstAfterStep = max(worstAfterStep, error)
            XCTAssertLessThanOrEqual(error, 1e-4, "\(name) \(key) after one SGD step")
            // The update itself (after − before): a wrong gradient shows here even where the weight
            // dwarfs the step. Relative to the largest update, floored at 1e-3 (so at most 1e-6
            // absolute): a conv bias followed by batch norm has a gradient that is zero up to
            // summation-order rounding, and its update is only weight decay (~5e-6).
            let before = try XCTUnwrap(initial[key]).floats().prefix(expected.count)
            let ours = zip(actual, before).map { Double($0) - Double($1) }, theirs = zip(expected, before).map { Double($0) - Double($1) }
            let scale = max(theirs.map(abs).max() ?? 0, 1e-3)
            let deltaError = zip(ours, theirs).map { abs($0 - $1) }.max()! / scale
            worstUpdate = max(worstUpdate, deltaError)
            XCTAssertLessThanOrEqual(deltaError, 1e-3, "\(name) \(key): the SGD update differs from PyTorch's")
            compared += 1
        }
        let lossError = abs(Double(try loss.item()) - Double(expectedLoss)) / max(1, Double(abs(expectedLoss)))
        print("PyTorch parity \(name): eval logits \(logitError), train loss \(lossError), weights and buffers after one step \(worstAfterStep), the step's update \(worstUpdate) (max relative errors)")
        XCTAssertEqual(compared, fixtures.names.filter { $0.hasPrefix("after.") }.count, "every PyTorch tensor was compared")
        XCTAssertEqual(try after["bn1.num_batches_tracked"]?.int64s() ?? after["layers.1.num_batches_tracked"]?.int64s(), [1])
    }

    /// Largest |x − y| / max(1, |y|); any non-finite value is an infinite error.
    private func relativeError(_ x: [Float], _ y: [Float]) -> Double {
        guard x.count == y.count, x.allSatisfy(\.isFinite) else { return .infinity }
        return zip(x, y).reduce(0) { max($0, Double(abs($1.0 - $1.1)) / max(1, Double(abs($1.1)))) }
    }

    // MARK: The generator shared with parity.py

    static func unit(_ generator: inout SplitMix64) -> Double { Double(generator.next() >> 11) * 0x1p-53 }

    static func batch(seed: UInt64, count: Int) -> [Float] {
        var generator = SplitMix64(seed: seed)
        return (0..<count).map { _ in Float(2 * unit(&generator) - 1) }
    }

    /// Every entry of `template` (same names and shapes) filled as `fill_value` in parity.py does.
    static func deterministicStateDict(like template: SafeTensors) throws -> SafeTensors {
        var generator = SplitMix64(seed: weightSeed)
        var tensors: [String: HostTensor] = [:]
        for key in template.names.sorted() {
            let shape = try XCTUnwrap(template[key]).shape
            if key.hasSuffix("num_batches_tracked") {
                tensors[key] = HostTensor(scalar: Int64(0))
                continue
            }
            let bound = (6 / Double(shape.dropFirst().reduce(1, *))).squareRoot()
            // The key's rule, chosen once (the ImageNet-size models fill tens of millions of values).
            let rule: (Double) -> Double =
                key.hasSuffix("running_mean") || key.hasSuffix("bias") ? { 0.1 * (2 * $0 - 1) }
                : key.hasSuffix("running_var") ? { 1 + 0.5 * $0 }
                : shape.count == 1 ? { 1 + 0.2 * (2 * $0 - 1) }
                : { (2 * $0 - 1) * bound }
            let values: [Float] = (0..<shape.reduce(1, *)).map { _ in Float(rule(unit(&generator))) }
            tensors[key] = try HostTensor(values, shape: shape)
        }
        return SafeTensors(tensors: tensors)
    }

    static var fixtureDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    }
}
