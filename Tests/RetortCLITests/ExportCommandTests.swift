import Foundation
import RetortHostTestSupport
import RetortNN
import XCTest

/// `retort export` writes ONNX models that ONNX's own checker accepts and ONNX Runtime runs to the
/// logits `retort predict` gives, for every zoo model; bad command lines are refused clearly.
final class ExportCommandTests: XCTestCase {
    /// Every model of the zoo (iterated, so models added later are checked too), with batch norms as a
    /// trained network has them (random affine parameters, running statistics measured on a batch, then
    /// perturbed), so folding them into the convolutions matters: each export passes
    /// `onnx.checker.check_model(full_check=True)` and ONNX Runtime's logits for 16 Fashion-MNIST test
    /// images are `retort predict`'s to 1e-4 of the largest |logit|, as a batch of 16 and of 1 (the batch
    /// dimension is dynamic).
    func testEveryZooModelExportsAndMatchesONNXRuntime() throws {
        _ = try PeersPython.interpreter()
        let folder = try makeTemporaryDirectory(for: self)
        let data = folder.appending(path: "data")
        try FashionMNISTSubset.write(count: 16, to: data)
        let context = try Context()
        // The 16 test images as the models see them: IDX pixels (after a 16-byte header) normalized as the weights record.
        let pixels = try Data(contentsOf: data.appending(path: "t10k-images-idx3-ubyte")).dropFirst(16)
        let images = try Tensor(pixels.map { (Float($0) / 255 - Self.mean) / Self.std }, shape: [16, 1, 28, 28], context: context)
        let models = ModelZoo.names.map { folder.appending(path: "\($0).onnx").path }
        let predictions = ModelZoo.names.map { folder.appending(path: "\($0)-logits.safetensors").path }
        for (index, name) in ModelZoo.names.enumerated() {
            try trainedLikeWeights(name, seed: UInt64(index + 1), images: images, context: context)
                .write(to: folder.appending(path: "\(name).safetensors"))
        }
        // Each model's export and predictions, as many models at a time as there are cores (a process is mostly its own
        // start), on threads of their own (a process's output is read on Dispatch's threads).
        let failures = Failures()
        failures.forEach(ModelZoo.names.count, lanes: ProcessInfo.processInfo.activeProcessorCount) { index in
            let name = ModelZoo.names[index], weights = folder.appending(path: "\(name).safetensors").path
            let export = try? RetortProcess.run(["export", "--model", name, "--weights", weights, "--input", "1x28x28",
                                                 "--out", models[index]])
            let wrote = "wrote \(models[index]): \(name) for [N, 1, 28, 28] → logits [N, 10], "
            if export?.status != 0 || export?.output.contains(wrote) != true {
                failures.append("export \(name): \(export?.output ?? "") \(export?.errors ?? "did not start")")
            }
            let predict = try? RetortProcess.run(["predict", "--model", name, "--weights", weights, "--dataset", "fashion-mnist",
                                                  "--data-dir", data.path, "--split", "test", "--out", predictions[index]])
            if predict?.status != 0 { failures.append("predict \(name): \(predict?.output ?? "") \(predict?.errors ?? "did not start")") }
        }
        XCTAssertEqual(failures.messages, [])
        // One Python process checks them all (starting ONNX Runtime once).
        let check = try PeersPython.run("onnx_check.py", models + ["--logits"] + predictions + ["--data-dir", data.path])
        XCTAssertEqual(check.status, 0, check.output + check.errors)
        for model in models {
            XCTAssert(check.output.contains("\(model): ONNX checker passed (IR 8, opset 17, "), model + ": " + check.output)
        }
        XCTAssertEqual(check.output.components(separatedBy: "16 fashion-mnist test images: max |ONNX Runtime − retort| = ").count,
                       models.count + 1, check.output)

        // The checkpoint's normalization travels in the model's metadata: ONNX Runtime alone gives `retort eval`'s top-1.
        let name = ModelZoo.names[0]
        let accuracy = try PeersPython.run("onnx_check.py", [models[0], "--accuracy", "--data-dir", data.path])
        XCTAssertEqual(accuracy.status, 0, accuracy.output + accuracy.errors)
        let evaluation = try RetortProcess.run(["eval", "--model", name, "--weights", folder.appending(path: "\(name).safetensors").path,
                                                "--dataset", "fashion-mnist", "--data-dir", data.path])
        let top1 = try XCTUnwrap(evaluation.output.range(of: #"top-1 [0-9.]+%"#, options: .regularExpression), evaluation.output)
        XCTAssert(accuracy.output.contains("(16 images): \(evaluation.output[top1])"), accuracy.output + evaluation.output)
    }

    /// CIFAR-size colour inputs and a 64×64 one (where VGG pools once more) export as well: each model's
    /// own logits for 4 random inputs, written beside them, are ONNX Runtime's to 1e-4 of the largest |logit|.
    func testColourAndLargerInputsMatchONNXRuntime() throws {
        _ = try PeersPython.interpreter()
        let folder = try makeTemporaryDirectory(for: self)
        let context = try Context()
        var arguments: [String] = [], predictions: [String] = []
        for (index, (name, side)) in [("resnet8", 32), ("wrn_16_1", 32), ("vgg8", 64), ("MobileNetV2", 32), ("ShuffleV1", 32),
                                      ("ShuffleV2", 32), ("plane4", 32)].enumerated() {
            var generator = SplitMix64(seed: UInt64(100 + index))
            let inputs = try Tensor(generator.floats(4 * 3 * side * side), shape: [4, 3, side, side], context: context)
            let state = try trainedLikeWeights(name, seed: UInt64(index + 1), images: inputs, context: context)
            let model = try ModelZoo.make(name, inputChannels: 3, inputSize: side, classes: 10, context: context)
            try model.load(stateDict: state)
            model.eval()
            let logits = try context.noGrad { try model(inputs) }
            let weights = folder.appending(path: "\(name).safetensors"), onnx = folder.appending(path: "\(name).onnx").path
            try state.write(to: weights)
            let export = try RetortProcess.run(["export", "--model", name, "--weights", weights.path, "--input", "3x\(side)x\(side)",
                                                "--out", onnx])
            XCTAssertEqual(export.status, 0, name + ": " + export.errors)
            let file = folder.appending(path: "\(name)-logits.safetensors")
            try SafeTensors(tensors: ["inputs": try HostTensor(inputs.toArray(), shape: inputs.shape),
                                      "logits": try HostTensor(logits.toArray(), shape: logits.shape)]).write(to: file)
            arguments.append(onnx)
            predictions.append(file.path)
        }
        let check = try PeersPython.run("onnx_check.py", arguments + ["--logits"] + predictions)
        XCTAssertEqual(check.status, 0, check.output + check.errors)
        XCTAssertEqual(check.output.components(separatedBy: "4 given input images: max |ONNX Runtime − retort| = ").count,
                       arguments.count + 1, check.output)
    }

    /// Work spread over threads, and the messages it reports.
    private final class Failures: @unchecked Sendable {
        private let lock = NSLock()
        private var collected: [String] = []
        private var next = 0
        var messages: [String] { lock.withLock { collected } }
        func append(_ message: String) { lock.withLock { collected.append(message) } }

        /// Runs `body` for each index in `0..<count` on `lanes` threads, returning when all are done.
        func forEach(_ count: Int, lanes: Int, _ body: @escaping @Sendable (Int) -> Void) {
            let done = DispatchGroup()
            for _ in 0..<max(1, lanes) {
                done.enter()
                Thread {
                    while let index = self.lock.withLock({ () -> Int? in
                        defer { self.next += 1 }
                        return self.next < count ? self.next : nil
                    }) { body(index) }
                    done.leave()
                }.start()
            }
            done.wait()
        }
    }

    /// A zoo model's initial weights with every batch norm as training leaves it: weight and bias drawn
    /// at random, running statistics measured on the images checked (a training-mode forward from
    /// zero statistics moves them by the momentum, 0.1, toward the batch's), then the means shifted and
    /// the variances scaled at random; the classifier scaled so the largest logit is about 8, as in a trained
    /// network. (With fresh statistics the deep ResNets' logits reach 10⁷ in evaluation mode, where
    /// float rounding alone exceeds 1e-4.)
    private func trainedLikeWeights(_ name: String, seed: UInt64, images: Tensor, context: Context) throws -> SafeTensors {
        let model = try ModelZoo.make(name, inputChannels: images.shape[1], inputSize: images.shape[2], classes: 10, context: context,
                                      seed: seed)
        var state = try model.stateDict()
        var generator = SplitMix64(seed: seed)
        let norms = state.names.filter { $0.hasSuffix(".running_mean") }.map { String($0.dropLast("running_mean".count)) }
        func set(_ key: String, _ values: (Int) -> [Float]) throws {
            let shape = state[key]?.shape ?? []
            state.tensors[key] = try HostTensor(values(shape.reduce(1, *)), shape: shape)
        }
        for norm in norms {
            try set(norm + "weight") { generator.floats($0, in: 0.5...1.5) }
            try set(norm + "bias") { generator.floats($0, in: -0.3...0.3) }
            try set(norm + "running_mean") { [Float](repeating: 0, count: $0) }
            try set(norm + "running_var") { [Float](repeating: 0, count: $0) }
        }
        try model.load(stateDict: state)
        model.train()
        _ = try context.noGrad { try model(images) }
        state = try model.stateDict()
        for norm in norms {
            let measured = (mean: state[norm + "running_mean"]?.floats() ?? [], variance: state[norm + "running_var"]?.floats() ?? [])
            try set(norm + "running_mean") { zip(measured.mean, generator.floats($0, in: -0.1...0.1)).map { 10 * $0 + $1 } }
            try set(norm + "running_var") { zip(measured.variance, generator.floats($0, in: 8...12)).map { $0 * $1 } }
        }
        // A trained classifier's logits are of order 10: the classifier (the last layer) is scaled to give that.
        try model.load(stateDict: state)
        model.eval()
        let largest = try context.noGrad { try model(images) }.toArray().map(abs).max() ?? 1
        let bias = model.namedParameters().last?.name ?? "", weight = String(bias.dropLast("bias".count)) + "weight"
        for key in [weight, bias] {
            let values = state[key]?.floats() ?? []
            try set(key) { _ in values.map { $0 * 8 / max(largest, 1e-3) } }
        }
        state.metadata = ["normalization_mean": "\(Self.mean)", "normalization_std": "\(Self.std)"]
        return state
    }

    /// The normalization the test weights record (Fashion-MNIST's pixel mean and standard deviation).
    private static let mean: Float = 0.286, std: Float = 0.353

    /// Unknown models, malformed inputs and missing options are usage errors (exit 2); weights of
    /// another model or of another class count than `--classes` fail (exit 1) naming the file or the
    /// tensor; nothing is written. A fitting `--classes` exports.
    func testBadCommandLinesAreRefusedClearly() throws {
        let folder = try makeTemporaryDirectory(for: self)
        let weights = folder.appending(path: "plane2.safetensors")
        try ModelZoo.make("plane2", inputChannels: 1, inputSize: 28, classes: 10, context: try Context()).stateDict().write(to: weights)
        let out = folder.appending(path: "model.onnx").path
        let common = ["--weights", weights.path, "--out", out]
        let cases: [(arguments: [String], status: Int32, message: String)] = [
            (["--model", "resnet9", "--input", "1x28x28"] + common, 2, "unknown model 'resnet9'; `retort models` lists them"),
            (["--model", "plane2", "--input", "1x28"] + common, 2, "--input must be CxHxW with a square image"),
            (["--model", "plane2", "--weights", weights.path, "--input", "1x28x28"], 2,
             "export needs --model NAME --weights FILE --input CxHxW --out"),
            (["--model", "resnet8", "--input", "1x28x28"] + common, 1, weights.path),
            (["--model", "plane2", "--input", "3x28x28"] + common, 1, weights.path),
            (["--model", "plane2", "--input", "1x28x28", "--classes", "7"] + common, 1, "layers.8.bias: expected [7], found [10]"),
        ]
        for (arguments, status, message) in cases {
            let run = try RetortProcess.run(["export"] + arguments)
            XCTAssertEqual(run.status, status, arguments.joined(separator: " ") + ": " + run.errors)
            XCTAssert(run.errors.contains(message), arguments.joined(separator: " ") + ": " + run.errors)
            XCTAssertFalse(FileManager.default.fileExists(atPath: out), arguments.joined(separator: " "))
        }
        let given = try RetortProcess.run(["export", "--model", "plane2", "--input", "1x28x28", "--classes", "10"] + common)
        XCTAssertEqual(given.status, 0, given.errors)
        XCTAssert(given.output.contains("→ logits [N, 10], 8 nodes, 10,330 parameters, ONNX opset 17 (IR 8)"), given.output)
    }
}
