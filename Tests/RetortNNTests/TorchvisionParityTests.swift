import Foundation
import XCTest
@testable import RetortNN
import RetortTestSupport

/// torchvision's ResNets and MobileNetV2s against Retort's zoo on the same weights and input
/// (`Benchmarks/peers/torchvision_parity.py parity`): eval-mode logits, train-mode pooled features
/// (batch statistics) and the running statistics that train-mode pass leaves.
///
/// `make test` reads the committed `Fixtures/torchvision/` (resnet18, resnet50 and mobilenetv2_1.0 at
/// 10 classes, 32×32, on weights both sides fill from parity.py's SplitMix64 rule, so no weights are
/// stored). `make check-torchvision` sets `RETORT_TORCHVISION_PARITY` to a folder the script filled
/// with every model at 1000 classes and 64×64 on torchvision's own initialisation, whose saved
/// `state_dict()` files (`<model>.weights.safetensors`) Retort loads unchanged.
final class TorchvisionParityTests: ContextTestCase {
    func testOutputsEqualTorchvisions() throws {
        let folder = ProcessInfo.processInfo.environment["RETORT_TORCHVISION_PARITY"].map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/torchvision")
        let names = ModelZoo.imageNetNames.filter {
            FileManager.default.fileExists(atPath: folder.appendingPathComponent("\($0).safetensors").path)
        }
        XCTAssertFalse(names.isEmpty, "no <model>.safetensors in \(folder.path)")
        for name in names { try checkParity(name, in: folder) }
    }

    private func checkParity(_ name: String, in folder: URL) throws {
        let expected = try SafeTensors(contentsOf: folder.appendingPathComponent("\(name).safetensors"))
        let evalLogits = try XCTUnwrap(expected["eval_logits"])
        let model = try ModelZoo.make(name, classes: evalLogits.shape[1], context: context)
        let weightsFile = folder.appendingPathComponent("\(name).weights.safetensors")
        let weights = FileManager.default.fileExists(atPath: weightsFile.path)
            ? try SafeTensors(contentsOf: weightsFile)
            : try PyTorchParityTests.deterministicStateDict(like: try model.stateDict())
        try model.load(stateDict: weights, source: weightsFile.lastPathComponent)
        let tracked = try XCTUnwrap(weights["bn1.num_batches_tracked"] ?? weights["features.0.1.num_batches_tracked"]).int64s()
        let x: Tensor
        if let input = expected["input"] {
            x = try tensor(input.floats(), input.shape)
        } else {   // the committed fixture: parity.py's input batch
            let shape = try XCTUnwrap(expected["input_shape"], "\(name): no input").int64s().map { Int($0) }
            x = try tensor(PyTorchParityTests.batch(seed: PyTorchParityTests.inputSeed, count: shape.reduce(1, *)), shape)
        }

        model.eval()
        let logits = try context.noGrad { try model(x) }.toArray()
        let logitError = scaledError(logits, evalLogits.floats())
        XCTAssertLessThanOrEqual(logitError.relative, 1e-4, "\(name) eval logits")

        model.train()
        let pooled = try context.noGrad { try model.features(x).pooled }.toArray()
        let pooledError = scaledError(pooled, try XCTUnwrap(expected["train_pooled"]).floats())
        // Batch statistics over few values per channel (a 2×2 final map) amplify float rounding through
        // each of the batch norms in sequence: resnet50's 53 leave about 2e-4 on 64×64 inputs.
        XCTAssertLessThanOrEqual(pooledError.relative, 1e-3, "\(name) train-mode pooled features")

        let state = try model.stateDict()
        var statistics = 0, worstStatistic = 0.0
        for key in expected.names where key.hasPrefix("after_train.") {
            let theirs = try XCTUnwrap(expected[key]).floats(), name = String(key.dropFirst("after_train.".count))
            let ours = Array(try XCTUnwrap(state[name], "Retort lacks \(name)").floats().prefix(theirs.count))
            let error = scaledError(ours, theirs).relative
            XCTAssertLessThanOrEqual(error, 1e-4, "\(name) after a train-mode pass")
            worstStatistic = max(worstStatistic, error)
            statistics += 1
        }
        XCTAssertEqual(statistics, state.names.filter { $0.hasSuffix("running_mean") || $0.hasSuffix("running_var") }.count, name)
        XCTAssertEqual(try state["bn1.num_batches_tracked"]?.int64s() ?? state["features.0.1.num_batches_tracked"]?.int64s(),
                       tracked.map { $0 + 1 }, "\(name): the checkpoint's batch count, plus the pass")
        print("torchvision parity \(name) (\(evalLogits.shape[1]) classes, input \(x.shape)): eval logits max |Δ| "
              + "\(logitError.absolute) (\(logitError.relative) of their largest), train-mode pooled max |Δ| \(pooledError.absolute) "
              + "(\(pooledError.relative)), running statistics \(worstStatistic)")
    }

    /// The largest |a − b|, and that over the largest |b| (the error relative to the tensor's scale).
    private func scaledError(_ ours: [Float], _ theirs: [Float]) -> (absolute: Double, relative: Double) {
        guard ours.count == theirs.count, ours.allSatisfy(\.isFinite) else { return (.infinity, .infinity) }
        let absolute = zip(ours, theirs).reduce(0) { max($0, abs(Double($1.0) - Double($1.1))) }
        return (absolute, absolute / max(theirs.reduce(0) { max($0, abs(Double($1))) }, 1e-30))
    }
}
