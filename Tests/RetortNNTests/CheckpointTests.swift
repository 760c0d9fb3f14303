import Foundation
import XCTest
@testable import RetortNN
import RetortHostTestSupport
import RetortTestSupport

final class CheckpointTests: ContextTestCase {
    private func step(_ model: any Classifier, _ optimizer: any Optimizer, _ x: Tensor, _ labels: [Int]) throws {
        try optimizer.zeroGrad()
        try model(x).crossEntropy(labels: labels).backward()
        try optimizer.step()
    }

    /// Resuming from a checkpoint continues exactly where the run stopped (same bits), for SGD and AdamW.
    func testResumedRunMatchesTheUninterruptedOne() throws {
        let directory = try makeTemporaryDirectory(for: self)
        var generator = SplitMix64(seed: 9)
        let x = try Tensor(generator.floats(4 * 3 * 32 * 32), shape: [4, 3, 32, 32], context: context)
        let labels = [0, 3, 7, 9]
        for adam in [false, true] {
            func makeOptimizer(_ model: any Classifier) throws -> any Optimizer {
                adam ? try AdamWOptimizer(parameters: model.parameters(), options: .init(learningRate: 1e-3, weightDecay: 0.01), context: context)
                     : try SGDOptimizer(parameters: model.parameters(), options: .init(learningRate: 0.1, momentum: 0.9, weightDecay: 5e-4), context: context)
            }
            let original = try ModelZoo.make("plane2", classes: 10, context: context, seed: 1)
            let optimizer = try makeOptimizer(original)
            for _ in 0..<2 { try step(original, optimizer, x, labels) }
            let url = directory.appendingPathComponent(adam ? "adam.safetensors" : "sgd.safetensors")
            try Checkpoint.save(model: original, optimizer: optimizer, runState: ["epoch": "2"], to: url)

            let resumed = try ModelZoo.make("plane2", classes: 10, context: context, seed: 99)
            let resumedOptimizer = try makeOptimizer(resumed)
            XCTAssertEqual(try Checkpoint.load(into: resumed, optimizer: resumedOptimizer, from: url)["epoch"], "2")

            try step(original, optimizer, x, labels)
            try step(resumed, resumedOptimizer, x, labels)
            for (a, b) in zip(original.namedParameters(), resumed.namedParameters()) {
                XCTAssertEqual(try a.tensor.toArray(), try b.tensor.toArray(), "\(adam ? "AdamW" : "SGD") \(a.name) after resuming")
            }
            XCTAssert(FileManager.default.fileExists(atPath: Checkpoint.optimizerURL(for: url).path))
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { !$0.hasSuffix(".safetensors") }
        XCTAssertEqual(leftovers, [], "atomic writes leave no temporary files")
    }

    /// Weights and optimizer state from different saves (files copied by hand, a crash of an older
    /// writer) are refused, naming both files, instead of resuming with a mismatched momentum.
    func testWeightsAndStateFromDifferentStepsAreRefused() throws {
        let directory = try makeTemporaryDirectory(for: self)
        let model = try ModelZoo.make("plane2", classes: 10, context: context, seed: 1)
        let optimizer = try SGDOptimizer(parameters: model.parameters(), options: .init(learningRate: 0.1, momentum: 0.9), context: context)
        let url = directory.appendingPathComponent("last.safetensors"), other = directory.appendingPathComponent("other.safetensors")
        try Checkpoint.save(model: model, optimizer: optimizer, runState: ["epoch": "1", "step": "3"], to: url)
        try Checkpoint.save(model: model, optimizer: optimizer, runState: ["epoch": "1", "step": "4"], to: other)
        try FileManager.default.removeItem(at: Checkpoint.optimizerURL(for: url))
        try FileManager.default.copyItem(at: Checkpoint.optimizerURL(for: other), to: Checkpoint.optimizerURL(for: url))
        XCTAssertThrowsError(try Checkpoint.load(into: model, optimizer: optimizer, from: url)) { error in
            XCTAssertEqual(error as? CheckpointError, .inconsistent(weights: url.path, optimizer: Checkpoint.optimizerURL(for: url).path,
                                                                   keys: ["step"]))
        }
        XCTAssertEqual(try Checkpoint.load(into: model, optimizer: nil, from: url)["step"], "3", "the weights alone still load")
    }

    func testOptimizerStateUsesPyTorchNames() throws {
        let model = try ModelZoo.make("plane2", classes: 10, context: context)
        let optimizer = try AdamWOptimizer(parameters: model.parameters(), options: .init(), context: context)
        var generator = SplitMix64(seed: 2)
        let x = try Tensor(generator.floats(2 * 3 * 32 * 32), shape: [2, 3, 32, 32], context: context)
        try step(model, optimizer, x, [1, 2])
        let names = try optimizer.state(parameterNames: model.parameterNamesByIdentity()).names
        XCTAssert(names.contains("layers.0.weight.exp_avg") && names.contains("layers.0.weight.exp_avg_sq") && names.contains("layers.0.weight.step"),
                  "\(names.sorted().prefix(6))")
    }
}
