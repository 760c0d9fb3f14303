import XCTest
@testable import RetortNN
import RetortTestSupport

final class ModuleTests: ContextTestCase {
    private func model(seed: UInt64 = 1) throws -> Sequential {
        var generator = SplitMix64(seed: seed)
        return Sequential([try Linear(4, 8, context: context, generator: &generator), ReLU(),
                           try Linear(8, 3, bias: false, context: context, generator: &generator)])
    }

    func testNamesFollowPyTorchStateDictKeys() throws {
        let net = try model()
        XCTAssertEqual(net.namedParameters().map(\.name), ["0.weight", "0.bias", "2.weight"])
        XCTAssertEqual(net.parameterCount, 4 * 8 + 8 + 8 * 3)
        let norm = try BatchNorm2d(5, context: context)
        XCTAssertEqual(try norm.stateDict().names.sorted(),
                       ["bias", "num_batches_tracked", "running_mean", "running_var", "weight"])
        XCTAssertEqual(try norm.stateDict()["num_batches_tracked"]?.dtype, .int64)
    }

    func testStateDictRoundTripThroughAFile() throws {
        let source = try model(seed: 1), target = try model(seed: 2)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("retort-module-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try source.stateDict().write(to: url)
        try target.load(stateDict: SafeTensors(contentsOf: url), source: url.path)
        for (a, b) in zip(source.parameters(), target.parameters()) { XCTAssertEqual(try a.toArray(), try b.toArray()) }
    }

    func testLoadingAMismatchedStateDictListsEveryProblemAndChangesNothing() throws {
        let net = try model()
        var dict = try net.stateDict()
        dict.tensors["0.weight"] = try HostTensor([Float](repeating: 0, count: 12), shape: [3, 4])
        dict.tensors["2.weight"] = nil
        dict.tensors["extra.bias"] = try HostTensor([Float(1)], shape: [1])
        dict.tensors["0.bias"] = try HostTensor([Float](repeating: 9, count: 8), shape: [8])
        let before = try net.parameters()[1].toArray()
        XCTAssertThrowsError(try net.load(stateDict: dict, source: "teacher.safetensors")) { error in
            let text = "\(error)"
            for part in ["teacher.safetensors", "2.weight", "extra.bias", "0.weight", "[8, 4]", "[3, 4]"] {
                XCTAssert(text.contains(part), "missing \(part) in: \(text)")
            }
        }
        XCTAssertEqual(try net.parameters()[1].toArray(), before, "a failed load must not change the model")
    }

    func testTrainEvalAndFreezeReachEveryChild() throws {
        let net = Sequential([try model(), try BatchNorm2d(3, context: context)])
        net.eval()
        XCTAssertFalse(net.layers.contains { $0.isTraining })
        XCTAssertFalse((net.layers[0] as! Sequential).layers.contains { $0.isTraining })
        net.train()
        XCTAssert((net.layers[0] as! Sequential).layers.allSatisfy { $0.isTraining })
        try net.freeze()
        XCTAssert(net.parameters().allSatisfy { !$0.requiresGrad })
    }

    func testBatchNormCountsBatchesAndUsesRunningStatisticsInEval() throws {
        let norm = try BatchNorm2d(2, context: context)
        var generator = SplitMix64(seed: 3)
        let x = try Tensor(generator.floats(4 * 2 * 3 * 3), shape: [4, 2, 3, 3], context: context)
        _ = try norm(x)
        _ = try norm(x)
        XCTAssertEqual(norm.batchesTracked.value, 2)
        norm.eval()
        let y = try norm(x).toArray()
        // Eval output = (x − running_mean) / sqrt(running_var + eps): check one element.
        let mean = try norm.runningMean.toArray(), variance = try norm.runningVariance.toArray(), values = try x.toArray()
        XCTAssertEqual(y[0], (values[0] - mean[0]) / (variance[0] + 1e-5).squareRoot(), accuracy: 1e-5)
        XCTAssertEqual(norm.batchesTracked.value, 2, "eval mode does not count batches")
    }

    /// A `BatchNorm2d` followed by a `ReLU` in a `Sequential` (and a trailing batch norm given
    /// `activation: .relu`) runs as one fused op: two dispatches fewer, and the bits of the modules
    /// applied one by one (output, gradients, running statistics), in training and evaluation mode.
    func testSequentialFusesBatchNormAndReLUBitForBit() throws {
        var generator = SplitMix64(seed: 3)
        let values = generator.floats(2 * 3 * 5 * 4)
        for training in [true, false] {
            var results: [[[Float]]] = [], dispatches: [Int] = []
            for fused in [true, false] {
                let net = Sequential([try BatchNorm2d(3, context: context), ReLU(), try BatchNorm2d(3, context: context)])
                net.train(training)
                let x = try tensor(values, [2, 3, 5, 4], requiresGrad: true)
                try context.synchronize()
                let y = fused ? try net(x, activation: .relu) : try net.layers.reduce(x) { try $1($0) }.relu()
                dispatches.append(context.stream.dispatchCount)
                try weightedSum(y, seed: 4).backward()
                let norm = try XCTUnwrap(net.layers[0] as? BatchNorm2d)
                results.append([try y.toArray(), try XCTUnwrap(x.grad).toArray(), try XCTUnwrap(norm.weight.grad).toArray(),
                                try norm.runningVariance.toArray()])
            }
            XCTAssertEqual(dispatches[0] + 2, dispatches[1], "training: \(training)")
            for (index, name) in ["y", "dx", "dweight", "running variance"].enumerated() {
                XCTAssertEqual(results[0][index].map(\.bitPattern), results[1][index].map(\.bitPattern), "\(name), training: \(training)")
            }
        }
    }
}

final class DropoutTests: ContextTestCase {
    func testTrainingDropsAndRescalesEvaluationPassesThrough() throws {
        let dropout = try Dropout(0.25, seed: 3)
        let x = try Tensor([Float](repeating: 2, count: 4000), shape: [40, 100], context: context, requiresGrad: true)
        let y = try dropout(x).toArray()
        let kept = y.filter { $0 != 0 }
        XCTAssert(kept.allSatisfy { abs($0 - 2 / 0.75) < 1e-5 }, "kept values are scaled by 1/(1 − p)")
        XCTAssertEqual(Double(y.count - kept.count) / Double(y.count), 0.25, accuracy: 0.03)
        // The gradient flows through the kept elements only, with the same scale.
        let again = try Dropout(0.25, seed: 3)
        try again(x).sum().backward()
        XCTAssertEqual(try x.grad?.toArray(), y.map { $0 / 2 }, "same seed, same mask; gradient = mask")
        dropout.eval()
        XCTAssertEqual(try dropout(x).toArray(), [Float](repeating: 2, count: 4000))
        XCTAssertThrowsError(try Dropout(1))
    }

    /// A step's mask depends on the seed and the step alone: the same step drops the same elements
    /// (whatever ran before, as after a resume), another step or seed drops others.
    func testAStepsMaskDependsOnTheSeedAndStepAlone() throws {
        let x = try Tensor([Float](repeating: 1, count: 1000), shape: [10, 100], context: context)
        let dropout = try Dropout(0.2, seed: 5), fresh = try Dropout(0.2, seed: 5), other = try Dropout(0.2, seed: 6)
        let first = try dropout(x, step: 7).toArray()
        _ = try dropout(x)
        _ = try dropout(x, step: 8)
        XCTAssertEqual(try dropout(x, step: 7).toArray(), first)
        XCTAssertEqual(try fresh(x, step: 7).toArray(), first)
        XCTAssertNotEqual(try fresh(x, step: 8).toArray(), first)
        XCTAssertNotEqual(try other(x, step: 7).toArray(), first)
        XCTAssertEqual(Double(first.filter { $0 == 0 }.count) / 1000, 0.2, accuracy: 0.05)
        dropout.eval()
        XCTAssertEqual(try dropout(x, step: 7).toArray(), [Float](repeating: 1, count: 1000))
    }
}

final class OptimizerModuleTests: ContextTestCase {
    /// SGD with momentum and weight decay over two steps, against PyTorch's update written out.
    func testSGDMomentumMatchesPyTorchOverTwoSteps() throws {
        let w = try Tensor([1, -2], shape: [2, 1], context: context, requiresGrad: true)
        let x = try Tensor([3, 4], shape: [1, 2], context: context)
        let sgd = try SGDOptimizer(parameters: [w], options: .init(learningRate: 0.1, momentum: 0.9, weightDecay: 0.01), context: context)
        var expected: [Double] = [1, -2], buffer: [Double] = [0, 0]
        for step in 0..<2 {
            try sgd.zeroGrad()
            try x.matmul(w).backward()
            try sgd.step()
            let grad = zip([3.0, 4.0], expected).map { $0 + 0.01 * $1 }
            buffer = step == 0 ? grad : zip(buffer, grad).map { 0.9 * $0 + $1 }
            expected = zip(expected, buffer).map { $0 - 0.1 * $1 }
        }
        let result = try w.toArray()
        for (a, b) in zip(result, expected) { XCTAssertEqual(Double(a), b, accuracy: 1e-5) }
    }

    /// A two-layer network fits a fixed random labelling of 64 points: the library trains.
    func testMLPFitsRandomLabels() throws {
        var generator = SplitMix64(seed: 11)
        let net = Sequential([try Linear(8, 32, context: context, generator: &generator), ReLU(),
                              try Linear(32, 4, context: context, generator: &generator)])
        let inputs = try Tensor(generator.floats(64 * 8), shape: [64, 8], context: context)
        let labels = (0..<64).map { _ in Int.random(in: 0..<4, using: &generator) }
        for adam in [false, true] {
            let optimizer: any Optimizer = adam
                ? try AdamWOptimizer(parameters: net.parameters(), options: .init(learningRate: 0.01, weightDecay: 0), context: context)
                : try SGDOptimizer(parameters: net.parameters(), options: .init(learningRate: 0.5, momentum: 0.9), context: context)
            var first: Float = 0, last: Float = 0
            for step in 0..<150 {
                try optimizer.zeroGrad()
                let loss = try net(inputs).crossEntropy(labels: labels)
                try loss.backward()
                try optimizer.step()
                if step == 0 { first = try loss.item() }
                last = try loss.item()
            }
            XCTAssertLessThan(last, first * 0.5, "loss \(first) → \(last) with \(adam ? "AdamW" : "SGD")")
        }
    }
}
