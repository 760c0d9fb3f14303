import Foundation
import XCTest
import RetortDistill
import RetortTestSupport

/// A classifier without batch norm (flatten → linear → ReLU → linear): its rows are independent, so a
/// batch split into parts must train as the whole batch does.
private final class RowwiseClassifier: Classifier {
    var isTraining = true
    let flatten = Flatten()
    let hidden: Linear
    let output: Linear

    init(side: Int, classes: Int, seed: UInt64, context: Context) throws {
        var generator = SplitMix64(seed: seed)
        hidden = try Linear(side * side, 16, context: context, generator: &generator)
        output = try Linear(16, classes, context: context, generator: &generator)
    }

    var entries: [ModuleEntry] { [.child("hidden", hidden), .child("output", output)] }

    func features(_ input: Tensor, preact: Bool) throws -> FeatureTaps {
        let pooled = try hidden(flatten(input)).relu()
        return FeatureTaps(pooled: pooled, logits: try output(pooled))
    }

    func logits(fromPooled pooled: Tensor) throws -> Tensor { try output(pooled) }

    /// It taps no stage: its head is the whole network.
    func logits(fromLastStage stage: Tensor) throws -> Tensor { try self(stage) }
}

/// ``Trainer/ghostBatches``, the single-process form of the data-parallel step (the same code splits
/// the batch over ranks): parts weighted by their share of the batch give the whole batch's step.
final class ShardedStepTests: ContextTestCase {
    /// 100 samples in batches of 32: the last batch has 4, so 3 parts are 1, 1 and 2 rows.
    private let train = SyntheticSource(count: 100, batchSize: 32, classes: 4, side: 8, seed: 2)
    private let test = SyntheticSource(count: 64, batchSize: 32, classes: 4, side: 8, seed: 2)

    private func weights(ghostBatches: Int, objective: (any DistillationLoss)? = nil,
                         teacher: RowwiseClassifier? = nil) throws -> [[Float]] {
        let model = try RowwiseClassifier(side: 8, classes: 4, seed: 7, context: context)
        let optimizer = try SGDOptimizer(parameters: model.parameters(), options: .init(learningRate: 0.1, momentum: 0.9), context: context)
        let trainer = Trainer(model: model, optimizer: optimizer, schedule: try ConstantSchedule(learningRate: 0.1), epochs: 2,
                              runDirectory: runDirectory())
        trainer.ghostBatches = ghostBatches
        if let objective { trainer.objective = objective }
        if let teacher { trainer.teachers = [teacher] }
        try trainer.fit(train: train, test: test)
        return try model.parameters().map { try $0.toArray() }
    }

    private func assertClose(_ a: [[Float]], _ b: [[Float]], file: StaticString = #filePath, line: UInt = #line) {
        for (x, y) in zip(a.joined(), b.joined()) {
            XCTAssertLessThanOrEqual(abs(x - y), 1e-5 + 1e-5 * abs(y), file: file, line: line)
        }
    }

    func testGhostBatchesOfARowwiseModelTrainAsTheWholeBatch() throws {
        let whole = try weights(ghostBatches: 1)
        assertClose(try weights(ghostBatches: 2), whole)
        assertClose(try weights(ghostBatches: 3), whole)
    }

    func testASumReducedTermIsSummedOverThePartsNotAveraged() throws {
        let teacher = try RowwiseClassifier(side: 8, classes: 4, seed: 11, context: context)
        try teacher.freeze()
        func objective(_ reduction: KnowledgeDistillation.Reduction) -> any DistillationLoss {
            WeightedLoss([(0.1, CrossEntropyLoss()), (0.9, KnowledgeDistillation(temperature: 4, reduction: reduction))])
        }
        let whole = try weights(ghostBatches: 1, objective: objective(.sum), teacher: teacher)
        assertClose(try weights(ghostBatches: 2, objective: objective(.sum), teacher: teacher), whole)
        // The check can fail: a batch-mean KD term trains differently (its gradient is 1/B of the sum's).
        let mean = try weights(ghostBatches: 1, objective: objective(.batchmean), teacher: teacher)
        XCTAssertGreaterThan(zip(mean.joined(), whole.joined()).map { abs($0 - $1) }.max() ?? 0, 1e-3)
    }
}
