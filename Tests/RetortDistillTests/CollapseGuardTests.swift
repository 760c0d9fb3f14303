import Foundation
import XCTest
@testable import RetortDistill
import RetortTestSupport

/// Two epochs in a row at chance accuracy stop a run, in ``Trainer`` and for every network of an
/// ``OnlineTrainer``.
final class CollapseGuardTests: ContextTestCase {
    func testTheSecondChanceEpochInARowThrowsNamingTheNetwork() throws {
        var single = CollapseGuard()
        try single.record(epoch: 0, trainAccuracy: 0.10, testAccuracy: 0.10, classes: 10)
        try single.record(epoch: 1, trainAccuracy: 0.16, testAccuracy: 0.10, classes: 10)  // above 1.5/10 on training: not at chance
        try single.record(epoch: 2, trainAccuracy: 0.10, testAccuracy: 0.15, classes: 10)
        XCTAssertThrowsError(try single.record(epoch: 3, trainAccuracy: 0.1, testAccuracy: 0.1, classes: 10)) { error in
            XCTAssertEqual(error as? TrainingError, .collapsed(epoch: 3, trainAccuracy: 0.1, testAccuracy: 0.1, classes: 10))
        }
        var named = CollapseGuard(network: "b")
        try named.record(epoch: 0, trainAccuracy: 0, testAccuracy: 0, classes: 4)
        XCTAssertNoThrow(try named.record(epoch: 1, trainAccuracy: 0, testAccuracy: 0, classes: 4, stops: false))
        XCTAssertThrowsError(try named.record(epoch: 2, trainAccuracy: 0, testAccuracy: 0, classes: 4)) { error in
            XCTAssert("\(error)".contains("network b: epochs 2 and 3 ended at chance"), "\(error)")
        }
        var one = CollapseGuard()
        for epoch in 0..<3 { try one.record(epoch: epoch, trainAccuracy: 1, testAccuracy: 1, classes: 1) }  // one class: never chance
    }

    /// Networks that cannot learn (their loss has no gradient, learning rate 0) stay at chance: the
    /// run stops after the second such epoch with its metrics and checkpoints written, unless the
    /// guard is off.
    private struct NoSignal: OnlineObjective {
        var name: String { "no-signal" }
        var networkCount: ClosedRange<Int> { 1...Int.max }
        func losses(_ step: OnlineStep) throws -> OnlineLosses {
            OnlineLosses(losses: try step.logits.map { try $0.crossEntropy(labels: step.labels).scaled(by: 0) })
        }
    }

    func testOnlineCoTrainingStopsWhenANetworkCollapses() throws {
        let train = SyntheticSource(count: 96, batchSize: 32, classes: 4, side: 16, seed: 1)
        let test = SyntheticSource(count: 64, batchSize: 32, classes: 4, side: 16, seed: 1)
        func trainer(epochs: Int) throws -> (OnlineTrainer, URL) {
            let run = FileManager.default.temporaryDirectory.appendingPathComponent("retort-collapse-\(UUID().uuidString)")
            addTeardownBlock { try? FileManager.default.removeItem(at: run) }
            let networks = try ["a", "b"].map { name in
                let model = try ModelZoo.make("plane2", inputChannels: 1, inputSize: 16, classes: 4, context: context, seed: 3)
                let optimizer = try SGDOptimizer(parameters: model.parameters(), options: .init(learningRate: 0), context: context)
                return OnlineNetwork(name: name, model: model, optimizer: optimizer, schedule: try ConstantSchedule(learningRate: 0))
            }
            return (try OnlineTrainer(networks: networks, objective: NoSignal(), epochs: epochs, runDirectory: run), run)
        }
        let (guarded, run) = try trainer(epochs: 3)
        XCTAssertThrowsError(try guarded.fit(train: train, test: test)) { error in
            guard case TrainingError.networkCollapsed(let network, let epoch, _, _, let classes) = error else { return XCTFail("\(error)") }
            XCTAssertEqual([network], ["a"])
            XCTAssertEqual([epoch, classes], [1, 4])
            XCTAssert("\(error)".contains("epochs 1 and 2 ended at chance"), "\(error)")
        }
        // As in `Trainer`: the guard runs at the end of the epoch, before it is committed, so the
        // collapsed epoch's metrics and checkpoints are not written and the last good ones stay.
        XCTAssertEqual(guarded.history.count, 1, "the collapsed epoch is not committed")
        XCTAssertEqual(try String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n").count, 1)
        XCTAssert(FileManager.default.fileExists(atPath: guarded.lastURL("b").path))
        let (unguarded, _) = try trainer(epochs: 3)
        unguarded.stopsOnCollapse = false
        XCTAssertEqual(try unguarded.fit(train: train, test: test).count, 3)
    }
}
