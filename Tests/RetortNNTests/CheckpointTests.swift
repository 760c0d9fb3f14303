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

    private func values(_ model: any Classifier) throws -> [[Float]] { try model.parameters().map { try $0.toArray() } }

    /// A write that fails part-way (here a file-size limit between the weights' size and the larger
    /// AdamW state's, as a disk filling up would) replaces neither file: the checkpoint on disk stays
    /// one consistent pair.
    func testAFailedWriteReplacesNeitherFileOfThePair() throws {
        let directory = try makeTemporaryDirectory(for: self)
        let model = try ModelZoo.make("plane2", classes: 10, context: context, seed: 1)
        let optimizer = try AdamWOptimizer(parameters: model.parameters(), options: .init(learningRate: 1e-3), context: context)
        var generator = SplitMix64(seed: 2)
        try step(model, optimizer, try Tensor(generator.floats(2 * 3 * 32 * 32), shape: [2, 3, 32, 32], context: context), [1, 2])
        let url = directory.appendingPathComponent("last.safetensors")
        try Checkpoint.save(model: model, optimizer: optimizer, runState: ["epoch": "1"], to: url)
        let weights = try Data(contentsOf: url), state = try Data(contentsOf: Checkpoint.optimizerURL(for: url))
        XCTAssertLessThan(weights.count + 4096, state.count)

        var previous = rlimit()
        getrlimit(Int32(RLIMIT_FSIZE.rawValue), &previous)
        let handler = signal(SIGXFSZ, SIG_IGN)
        var limited = previous
        limited.rlim_cur = rlim_t(weights.count + 4096)
        setrlimit(Int32(RLIMIT_FSIZE.rawValue), &limited)
        defer {
            setrlimit(Int32(RLIMIT_FSIZE.rawValue), &previous)
            signal(SIGXFSZ, handler)
        }
        XCTAssertThrowsError(try Checkpoint.save(model: model, optimizer: optimizer, runState: ["epoch": "2"], to: url)) { error in
            guard case SafeTensorsError.writeFailed(let file, let reason) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(file, Checkpoint.optimizerURL(for: url).path)
            XCTAssert(reason.contains("File too large"), reason)
        }
        XCTAssertEqual(try Data(contentsOf: url), weights, "the weights were written in full but not put in place")
        XCTAssertEqual(try Data(contentsOf: Checkpoint.optimizerURL(for: url)), state)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted(),
                       ["last.optimizer.safetensors", "last.safetensors"], "no temporary files left")
    }

    /// NaN in a checkpoint's weights or optimizer state is refused, naming the file and tensor,
    /// before the model or the optimizer changes.
    func testNonFiniteValuesAreRefusedBeforeAnythingChanges() throws {
        let directory = try makeTemporaryDirectory(for: self)
        let model = try ModelZoo.make("plane2", classes: 10, context: context, seed: 1)
        let optimizer = try SGDOptimizer(parameters: model.parameters(), options: .init(learningRate: 0.1, momentum: 0.9), context: context)
        var generator = SplitMix64(seed: 2)
        try step(model, optimizer, try Tensor(generator.floats(2 * 3 * 32 * 32), shape: [2, 3, 32, 32], context: context), [1, 2])
        let url = directory.appendingPathComponent("last.safetensors")
        try Checkpoint.save(model: model, optimizer: optimizer, to: url)
        let stateURL = Checkpoint.optimizerURL(for: url)
        let target = try ModelZoo.make("plane2", classes: 10, context: context, seed: 7)
        let before = try values(target)

        var state = try SafeTensors(contentsOf: stateURL)
        let name = try XCTUnwrap(state.names.sorted().first { state[$0]?.dtype == .float32 })
        var poisoned = try XCTUnwrap(state[name]).floats()
        poisoned[1] = -.infinity
        state.tensors[name] = try HostTensor(poisoned, shape: try XCTUnwrap(state[name]).shape)
        try state.write(to: stateURL)
        let fresh = try SGDOptimizer(parameters: target.parameters(), options: .init(learningRate: 0.1, momentum: 0.9), context: context)
        XCTAssertThrowsError(try Checkpoint.load(into: target, optimizer: fresh, from: url)) { error in
            let expected = NonFiniteValues.Tensor(name: name, nanCount: 0, infinityCount: 1, firstIndex: 1)
            XCTAssertEqual(error as? NonFiniteValues, NonFiniteValues(source: stateURL.path, tensors: [expected]))
        }
        XCTAssertEqual(try values(target), before, "the model did not change")

        var weights = try SafeTensors(contentsOf: url)
        let weight = "layers.0.weight"
        var weightValues = try XCTUnwrap(weights[weight]).floats()
        weightValues[0] = .nan
        weightValues[5] = .nan
        weights.tensors[weight] = try HostTensor(weightValues, shape: try XCTUnwrap(weights[weight]).shape)
        try weights.write(to: url)
        XCTAssertThrowsError(try Checkpoint.load(into: target, optimizer: nil, from: url)) { error in
            XCTAssert("\(error)".contains("state dict '\(url.path)' holds non-finite values in 1 tensor; nothing was loaded"), "\(error)")
            XCTAssert("\(error)".contains("\(weight): 2 NaN, 0 ±inf (first at element 0)"), "\(error)")
        }
        XCTAssertEqual(try values(target), before)
    }
}
