import Foundation
import XCTest
import RetortDistill
import RetortTestSupport

extension ContextTestCase {
    /// A plane2 for 1×16×16 images and 4 classes (``SyntheticSource``), SGD at 0.05 with momentum,
    /// a constant schedule, and a run folder removed after the test.
    func tinyTrainer(epochs: Int) throws -> (trainer: Trainer, model: any Classifier, run: URL) {
        let run = FileManager.default.temporaryDirectory.appendingPathComponent("retort-tiny-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: run) }
        let model = try ModelZoo.make("plane2", inputChannels: 1, inputSize: 16, classes: 4, context: context, seed: 3)
        let optimizer = try SGDOptimizer(parameters: model.parameters(), options: .init(learningRate: 0.05, momentum: 0.9),
                                         context: context)
        let trainer = Trainer(model: model, optimizer: optimizer, schedule: try ConstantSchedule(learningRate: 0.05), epochs: epochs,
                              runDirectory: run)
        return (trainer, model, run)
    }
}
