import Foundation
import XCTest
import RetortDistill
import RetortTestSupport

final class SemiOnlineKDTests: ContextTestCase {
    private let train = SyntheticSource(count: 96, batchSize: 32, classes: 4, side: 16, seed: 1)
    private let test = SyntheticSource(count: 64, batchSize: 32, classes: 4, side: 16, seed: 1)

    /// `T² · (1/B) Σ_i KL(softmax(b_i/T) ‖ softmax(a_i/T))` in Double.
    private func softTarget(_ a: [Float], from b: [Float], classes: Int, temperature: Double) -> Double {
        let rowsA = Reference.rows(a, columns: classes), rowsB = Reference.rows(b, columns: classes)
        let total = zip(rowsA, rowsB).reduce(0.0) { $0 + Reference.kl(Reference.softmax($1.1, temperature: temperature),
                                                                         Reference.softmax($1.0, temperature: temperature)) }
        return temperature * temperature * total / Double(rowsA.count)
    }

    private func crossEntropy(_ z: [Float], labels: [Int], classes: Int) -> Double {
        zip(Reference.rows(z, columns: classes), labels).reduce(0.0) { $0 - Reference.logSoftmax($1.0)[$1.1] } / Double(labels.count)
    }

    /// L_A = CE + KL_T(A ← T) + KL_T(A ← S), L_S = CE + KL_T(S ← A), at T = 4 with the T² factor,
    /// checked at batch == classes.
    func testLossesMatchTheReference() throws {
        let labels = [1, 0, 3, 2]
        let a = randomLogits(4, 4, seed: 1), s = randomLogits(4, 4, seed: 2), t = randomLogits(4, 4, seed: 3, in: -6...6)
        let result = try SemiOnlineKD().losses(OnlineStep(logits: [try tensor(a, [4, 4]), try tensor(s, [4, 4])],
                                                          frozenLogits: [try tensor(t, [4, 4])], labels: labels))
        let expectedA = crossEntropy(a, labels: labels, classes: 4) + softTarget(a, from: t, classes: 4, temperature: 4)
            + softTarget(a, from: s, classes: 4, temperature: 4)
        let expectedS = crossEntropy(s, labels: labels, classes: 4) + softTarget(s, from: a, classes: 4, temperature: 4)
        XCTAssertEqual(Double(try XCTUnwrap(result.losses[0]).item()), expectedA, accuracy: 1e-5)
        XCTAssertEqual(Double(try XCTUnwrap(result.losses[1]).item()), expectedS, accuracy: 1e-5)
        let warmer = try SemiOnlineKD(temperature: 2).losses(OnlineStep(logits: [try tensor(a, [4, 4]), try tensor(s, [4, 4])],
                                                                        frozenLogits: [try tensor(t, [4, 4])], labels: labels))
        XCTAssertEqual(Double(try XCTUnwrap(warmer.losses[1]).item()),
                       crossEntropy(s, labels: labels, classes: 4) + softTarget(s, from: a, classes: 4, temperature: 2), accuracy: 1e-5)
    }

    private func networks(epochs: Int) throws -> (auxiliary: AuxiliaryBranchNetwork, teacher: any AuxiliaryBranching, student: any Classifier,
                                                    online: [OnlineNetwork]) {
        // A pretrained teacher: plain training on the task first.
        let model = try ModelZoo.make("plane4", inputChannels: 1, inputSize: 16, classes: 4, context: context, seed: 11)
        let run = FileManager.default.temporaryDirectory.appendingPathComponent("retort-sokd-teacher-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: run) }
        try Trainer(model: model, optimizer: try SGDOptimizer(parameters: model.parameters(), options: .init(learningRate: 0.05, momentum: 0.9), context: context),
                    schedule: try CosineAnnealingSchedule(baseLearningRate: 0.05, annealingEpochs: 3), epochs: 3, runDirectory: run).fit(train: train, test: test)
        model.eval()
        let teacher = try model.asAuxiliaryBranching(model: "plane4")
        let auxiliary = try AuxiliaryBranchNetwork(teacher: teacher, seed: 12)
        let student = try ModelZoo.make("plane2", inputChannels: 1, inputSize: 16, classes: 4, context: context, seed: 13)
        let online = try [("plane4-aux", auxiliary as any Classifier, auxiliary.trainableParameters), ("plane2", student, student.parameters())].map {
            OnlineNetwork(name: $0.0, model: $0.1,
                          optimizer: try SGDOptimizer(parameters: $0.2, options: .init(learningRate: 0.01, momentum: 0.9, weightDecay: 5e-4), context: context),
                          schedule: try CosineAnnealingSchedule(baseLearningRate: 0.01, annealingEpochs: epochs))
        }
        return (auxiliary, teacher, student, online)
    }

    /// The student's loss sends no gradient to A (A's logits are its constant target), A's loss none
    /// to the student, and neither reaches the frozen trunk.
    func testEachLossReachesItsOwnNetworkOnly() throws {
        let (auxiliary, teacher, student, _) = try networks(epochs: 1)
        let batch = try XCTUnwrap(try train.epochBatches(0).first { _ in true })
        let x = try Tensor(batch.images, shape: batch.shape, context: context)
        for (index, trained) in [(0, auxiliary.trainableParameters), (1, student.parameters())] {
            for parameter in auxiliary.parameters() + student.parameters() { try parameter.zeroGrad() }   // the teacher's too (pretraining left gradients)
            let objective = SemiOnlineKD()
            let (logits, frozen) = try objective.forward([auxiliary, student], input: x)
            let losses = try objective.losses(OnlineStep(logits: logits, frozenLogits: frozen, labels: batch.labels))
            try XCTUnwrap(losses.losses[index]).backward()
            func largest(_ parameters: [Tensor]) throws -> Float { try parameters.compactMap { try $0.grad?.toArray() }.flatMap { $0 }.map(abs).max() ?? 0 }
            let others = index == 0 ? student.parameters() : auxiliary.trainableParameters
            XCTAssertGreaterThan(try largest(trained), 0, "loss \(index) trains its network")
            XCTAssertEqual(try largest(others), 0, "loss \(index) reached the other network")
            XCTAssertEqual(try largest(teacher.parameters()), 0, "the frozen trunk got a gradient")
        }
    }

    /// Training: the teacher's weights stay as loaded while A's branch and the student change; the
    /// trunk's batch-norm running statistics keep moving (training mode, as the reference); the
    /// teacher is measured once.
    func testTrainingLeavesTheTeacherFrozen() throws {
        let (auxiliary, teacher, student, online) = try networks(epochs: 2)
        let weights = { (module: any Module) throws -> [[Float]] in try module.parameters().map { try $0.toArray() } }
        let teacherBefore = try weights(teacher), branchBefore = try weights(auxiliary.branch), studentBefore = try weights(student)
        let runningMean = try XCTUnwrap(try teacher.stateDict()["layers.1.running_mean"]).floats()
        let run = FileManager.default.temporaryDirectory.appendingPathComponent("retort-sokd-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: run) }
        let trainer = try OnlineTrainer(networks: online, objective: SemiOnlineKD(), epochs: 2, runDirectory: run)
        trainer.frozen = [("plane4", teacher)]
        let history = try trainer.fit(train: train, test: test)
        XCTAssertEqual(try weights(teacher), teacherBefore, "the teacher's weights are frozen")
        XCTAssertNotEqual(try weights(auxiliary.branch), branchBefore, "A's branch trains")
        XCTAssertNotEqual(try weights(student), studentBefore, "the student trains")
        XCTAssertNotEqual(try XCTUnwrap(try teacher.stateDict()["layers.1.running_mean"]).floats(), runningMean,
                          "the trunk's running statistics follow the batches (teacher.train() in the reference)")
        XCTAssertEqual(Set(history[1].networks.keys), ["plane4-aux", "plane2"])
        XCTAssertEqual(history[1].updates, ["plane4-aux": 3, "plane2": 3])
        XCTAssertEqual(Set(trainer.frozenMetrics.keys), ["plane4"])
        XCTAssert(FileManager.default.fileExists(atPath: run.appendingPathComponent("frozen.json").path))
        let studentTrainLoss = history.compactMap { $0.networks["plane2"]?.trainLoss }
        XCTAssertLessThan(studentTrainLoss[1], studentTrainLoss[0], "\(history)")
        XCTAssertGreaterThan(history[1].networks["plane2"]?.testTop1 ?? 0, 0.5, "the student learns (4 classes) \(history)")
        // A's checkpoint holds the trunk and the branch: it runs on its own.
        let names = try SafeTensors(contentsOf: trainer.lastURL("plane4-aux")).names
        XCTAssert(names.contains("teacher.layers.0.weight") && names.contains { $0.hasPrefix("branch.layers.") }, "\(names)")
    }
}
