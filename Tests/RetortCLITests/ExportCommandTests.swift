import Foundation
import RetortHostTestSupport
import RetortNN
import XCTest

/// `retort export` writes ONNX models that ONNX's own checker accepts and ONNX Runtime runs to the
/// logits `retort predict` gives, for every zoo model; bad command lines are refused clearly.
final class ExportCommandTests: XCTestCase {
    /// Every model of the zoo (iterated, so models added later are checked too), with batch norms
    /// whose running statistics and affine parameters are far from their initial values (so folding
    /// them into the convolutions matters): the export passes `onnx.checker.check_model(full_check=True)`
    /// and ONNX Runtime's logits for 16 Fashion-MNIST test images are `retort predict`'s to 1e-4, as a
    /// batch of 16 and of 1 (the batch dimension is dynamic).
    func testEveryZooModelExportsAndMatchesONNXRuntime() throws {
        _ = try PeersPython.interpreter()
        let folder = try makeTemporaryDirectory(for: self)
        let data = folder.appending(path: "data")
        try FashionMNISTSubset.write(count: 16, to: data)
        let context = try Context()
        for (index, name) in ModelZoo.names.enumerated() {
            let weights = folder.appending(path: "\(name).safetensors")
            try randomizedWeights(name, seed: UInt64(index + 1), context: context).write(to: weights)
            let onnx = folder.appending(path: "\(name).onnx").path
            let logits = folder.appending(path: "\(name)-logits.safetensors").path
            let export = try RetortProcess.run(["export", "--model", name, "--weights", weights.path, "--input", "1x28x28", "--out", onnx])
            XCTAssertEqual(export.status, 0, name + ": " + export.output + export.errors)
            XCTAssert(export.output.contains("wrote \(onnx): \(name) for [N, 1, 28, 28] → logits [N, 10], "), export.output)
            let predict = try RetortProcess.run(["predict", "--model", name, "--weights", weights.path, "--dataset", "fashion-mnist",
                                                 "--data-dir", data.path, "--split", "test", "--out", logits])
            XCTAssertEqual(predict.status, 0, name + ": " + predict.output + predict.errors)
            let check = try PeersPython.run("onnx_check.py", [onnx, "--logits", logits, "--data-dir", data.path])
            XCTAssertEqual(check.status, 0, name + ": " + check.output + check.errors)
            XCTAssert(check.output.contains("ONNX checker passed (IR 8, opset 17, "), name + ": " + check.output)
            XCTAssert(check.output.contains("16 fashion-mnist test images: max |ONNX Runtime − retort| = "), name + ": " + check.output)
        }
    }

    /// Weights the export must reproduce: a zoo model's initial weights with every batch norm's
    /// running mean, running variance, weight and bias drawn at random.
    private func randomizedWeights(_ name: String, seed: UInt64, context: Context) throws -> SafeTensors {
        let model = try ModelZoo.make(name, inputChannels: 1, inputSize: 28, classes: 10, context: context, seed: seed)
        var state = try model.stateDict()
        var generator = SplitMix64(seed: seed)
        for key in state.names where key.hasSuffix(".running_mean") {
            let norm = String(key.dropLast("running_mean".count)), shape = state[key]?.shape ?? []
            for (member, range): (String, ClosedRange<Float>) in [("running_mean", -0.5...0.5), ("running_var", 0.5...2),
                                                                   ("weight", 0.5...1.5), ("bias", -0.3...0.3)] {
                let values = (0..<shape.reduce(1, *)).map { _ in Float.random(in: range, using: &generator) }
                state.tensors[norm + member] = try HostTensor(values, shape: shape)
            }
        }
        return state
    }

    /// Unknown models, malformed inputs and missing options are usage errors (exit 2); weights of
    /// another model fail (exit 1) naming the file; nothing is written.
    func testBadCommandLinesAreRefusedClearly() throws {
        let folder = try makeTemporaryDirectory(for: self)
        let weights = folder.appending(path: "plane2.safetensors")
        try ModelZoo.make("plane2", inputChannels: 1, inputSize: 28, classes: 10, context: try Context()).stateDict().write(to: weights)
        let out = folder.appending(path: "model.onnx").path
        let common = ["--weights", weights.path, "--out", out]
        let cases: [(arguments: [String], status: Int32, message: String)] = [
            (["--model", "resnet9", "--input", "1x28x28"] + common, 2, "unknown model 'resnet9'; `retort models` lists them"),
            (["--model", "plane2", "--input", "1x28"] + common, 2, "--input must be CxHxW with a square image"),
            (["--model", "plane2", "--weights", weights.path, "--input", "1x28x28"], 2, "export needs --model NAME --weights FILE --input CxHxW --out"),
            (["--model", "resnet8", "--input", "1x28x28"] + common, 1, weights.path),
            (["--model", "plane2", "--input", "3x28x28"] + common, 1, weights.path),
        ]
        for (arguments, status, message) in cases {
            let run = try RetortProcess.run(["export"] + arguments)
            XCTAssertEqual(run.status, status, arguments.joined(separator: " ") + ": " + run.errors)
            XCTAssert(run.errors.contains(message), arguments.joined(separator: " ") + ": " + run.errors)
            XCTAssertFalse(FileManager.default.fileExists(atPath: out), arguments.joined(separator: " "))
        }
    }
}
