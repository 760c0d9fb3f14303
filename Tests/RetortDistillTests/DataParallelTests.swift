import Foundation
import RetortCompute
import RetortDistill
import RetortDistributed
import RetortTestSupport
import XCTest

/// What ``DataParallel`` does between ranks, with two ranks as two threads (``ThreadProcessGroup``),
/// each with its own context on the test device: the checks that stop a job whose ranks disagree fire
/// on every rank, rank 0's state reaches the others, gradients average with the ranks' shares.
final class DataParallelTests: ContextTestCase {
    /// A plane2 for 1×16×16 images and 4 classes on a context of its own.
    private static func model(seed: UInt64, on device: Device) throws -> any Classifier {
        try ModelZoo.make("plane2", inputChannels: 1, inputSize: 16, classes: 4, context: try Context(device: device), seed: seed)
    }

    /// Every parameter's values, in order.
    private static func values(of model: any Module) throws -> [Float] {
        try model.parameters().flatMap { try $0.toArray() }
    }

    func testReplicasThatDifferInOneBitAreCaughtOnEveryRank() throws {
        let device = context.device
        let results = ThreadProcessGroup.run(ranks: 2) { group -> String? in
            let model = try Self.model(seed: 3, on: device)
            let parallel = DataParallel(group: group)
            try parallel.checkReplicasAgree(model)
            if group.rank == 1 {
                let parameter = model.parameters()[0]
                var values = try parameter.toArray()
                values[values.count / 2] = values[values.count / 2].nextUp
                try parameter.assign(values)
            }
            do {
                try parallel.checkReplicasAgree(model)
                return nil
            } catch let error as ProcessGroupError {
                return error.description
            }
        }
        for (rank, result) in results.enumerated() {
            let message = try result.get()
            XCTAssert(message?.hasPrefix("the ranks' weights differ") ?? false, "rank \(rank): \(message ?? "no error")")
        }
    }

    func testRanksWithDifferentSettingsFailTogetherNamingTheLine() throws {
        let same = ThreadProcessGroup.run(ranks: 2) { group in try DataParallel(group: group).checkSameSettings("{\n  \"lr\" : 0.1\n}") }
        for result in same { XCTAssertNoThrow(try result.get()) }
        let differ = ThreadProcessGroup.run(ranks: 2) { group in
            try DataParallel(group: group).checkSameSettings("{\n  \"epochs\" : 2,\n  \"lr\" : \(group.rank == 0 ? "0.1" : "0.2")\n}")
        }
        XCTAssertThrowsError(try differ[0].get()) {
            XCTAssert("\($0)".hasPrefix("the ranks were started with different settings"), "\($0)")
        }
        XCTAssertThrowsError(try differ[1].get()) {
            XCTAssert("\($0)".contains("rank 1 has '\"lr\" : 0.2' where rank 0 has '\"lr\" : 0.1'"), "\($0)")
        }
    }

    /// Rank 1 starts from other weights and a fresh optimizer; after the broadcast it holds rank 0's
    /// weights, momentum and run state.
    func testTheBroadcastGivesEveryRankRankZerosWeightsOptimizerAndRunState() throws {
        let device = context.device
        let results = ThreadProcessGroup.run(ranks: 2) { group -> (weights: [Float], momentum: Data, runState: [String: String]) in
            let model = try Self.model(seed: group.rank == 0 ? 3 : 4, on: device)
            let context = model.parameters()[0].context
            let optimizer = try SGDOptimizer([ParameterGroup(model.parameters())], options: .init(learningRate: 0.1, momentum: 0.9),
                                             context: context)
            if group.rank == 0 {
                for parameter in model.parameters() { try parameter.setGradient([Float](repeating: 0.5, count: parameter.count)) }
                try optimizer.step()
            }
            let runState = try DataParallel(group: group).broadcast(model: model, optimizer: optimizer,
                                                                    runState: group.rank == 0 ? ["epoch": "2", "step": "5"] : [:])
            let momentum = try optimizer.state(parameterNames: model.parameterNamesByIdentity()).serialized()
            return (try Self.values(of: model), momentum, runState)
        }
        let zero = try results[0].get(), one = try results[1].get()
        XCTAssertEqual(one.weights, zero.weights)
        XCTAssertNotEqual(zero.weights, try Self.values(of: Self.model(seed: 4, on: device)), "rank 1's own weights were replaced")
        XCTAssertEqual(one.momentum, zero.momentum)
        XCTAssertEqual(one.runState, ["epoch": "2", "step": "5"])
        XCTAssertEqual(zero.runState, ["epoch": "2", "step": "5"])
    }

    /// Each rank's gradient counts with its share of the batch (`Σ_r w_r·g_r`, summed in rank order),
    /// and the extras come back summed, on every rank.
    func testGradientsAverageWithTheRanksSharesOnEveryRank() throws {
        let device = context.device
        let weights: [Float] = [0.25, 0.75]
        @Sendable func gradient(rank: Int, count: Int) -> [Float] { (0..<count).map { Float($0 % 7) * 0.1 + Float(rank) - 0.3 } }
        let results = ThreadProcessGroup.run(ranks: 2) { group -> (gradients: [[Float]], extras: [Float]) in
            let model = try Self.model(seed: 3, on: device)
            for parameter in model.parameters() { try parameter.setGradient(gradient(rank: group.rank, count: parameter.count)) }
            let extras = try DataParallel(group: group).reduceGradients(of: model.parameters(), weight: weights[group.rank],
                                                                         extras: [Float(group.rank + 1), 0.5])
            return (try model.parameters().map { try XCTUnwrap($0.grad).toArray() }, extras)
        }
        let counts = try Self.model(seed: 3, on: device).parameters().map { $0.count }
        let expected = counts.map { count in
            zip(gradient(rank: 0, count: count), gradient(rank: 1, count: count)).map { $0 * weights[0] + $1 * weights[1] }
        }
        for (rank, result) in results.enumerated() {
            let reduced = try result.get()
            XCTAssertEqual(reduced.gradients, expected, "rank \(rank)")
            XCTAssertEqual(reduced.extras, [3, 1], "rank \(rank)")
        }
    }

    /// Rank r takes its rows of the global batch (uneven: 2 and 3 of 5) and weighs its gradient by
    /// its share; replicating gives every rank the whole batch at 1/N.
    func testEachRankTakesItsRowsOfTheGlobalBatchWeighedByItsShare() throws {
        let batch = Batch(images: (0..<20).map(Float.init), labels: [0, 1, 2, 3, 4], indices: [10, 11, 12, 13, 14], shape: [5, 1, 2, 2])
        let shards = try ThreadProcessGroup.run(ranks: 2) { DataParallel(group: $0).shard(batch) }.map { try $0.get() }
        XCTAssertEqual(shards[0].batch, Batch(images: (0..<8).map(Float.init), labels: [0, 1], indices: [10, 11], shape: [2, 1, 2, 2]))
        XCTAssertEqual(shards[1].batch,
                       Batch(images: (8..<20).map(Float.init), labels: [2, 3, 4], indices: [12, 13, 14], shape: [3, 1, 2, 2]))
        XCTAssertEqual(shards.map(\.weight), [0.4, 0.6])
        let replicated = try ThreadProcessGroup.run(ranks: 2) { group in
            let parallel = DataParallel(group: group)
            parallel.replicatesBatches = true
            return parallel.shard(batch)
        }.map { try $0.get() }
        XCTAssertEqual(replicated.map(\.batch), [batch, batch])
        XCTAssertEqual(replicated.map(\.weight), [0.5, 0.5])
    }

    /// An objective's parameters train with the model's: rank 0's state (and momentum) goes to every
    /// rank at the start, their gradients are averaged with the model's, so every rank ends with the
    /// same student and objective, bit for bit, though rank 1 began with another offset.
    func testAnObjectivesStateStartsFromRankZeroAndItsGradientsAreAveraged() throws {
        let device = context.device
        let train = SyntheticSource(count: 64, batchSize: 32, classes: 4, side: 16, seed: 1)
        let test = SyntheticSource(count: 32, batchSize: 32, classes: 4, side: 16, seed: 1)
        let runs = [runDirectory(), runDirectory()]
        let results = ThreadProcessGroup.run(ranks: 2) { group -> (model: [Float], objective: [String: [Float]]) in
            let model = try Self.model(seed: 3, on: device)
            let context = model.parameters()[0].context
            let loss = try StatefulTestLoss(offset: group.rank == 0 ? 0.5 : -1, context: context)
            let optimizer = try SGDOptimizer([ParameterGroup(model.parameters()), ParameterGroup(loss.parameters())],
                                             options: .init(learningRate: 0.05, momentum: 0.9), context: context)
            let trainer = Trainer(model: model, optimizer: optimizer, schedule: try ConstantSchedule(learningRate: 0.05), epochs: 2,
                                  runDirectory: runs[group.rank])
            trainer.objective = loss
            trainer.dataParallel = DataParallel(group: group)
            try trainer.fit(train: train, test: test)
            return (try Self.values(of: model), try loss.values())
        }
        let zero = try results[0].get(), one = try results[1].get()
        XCTAssertEqual(one.model, zero.model)
        XCTAssertEqual(one.objective, zero.objective)
        XCTAssertNotEqual(zero.objective["offset"], [0.5], "the offset trained")
    }
}
