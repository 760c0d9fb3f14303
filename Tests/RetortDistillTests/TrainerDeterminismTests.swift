import Foundation
import XCTest
import RetortDistill
import RetortTestSupport

/// Same seed, same device, same bits: two identical runs end with byte-identical weights, optimizer
/// state and metrics (wall-clock fields aside), for plain training, every registered offline and
/// self-distillation method, and every online method that trains from scratch.
final class TrainerDeterminismTests: ContextTestCase {
    private let train = SyntheticSource(count: 96, batchSize: 32, classes: 4, side: 16, seed: 1)
    private let test = SyntheticSource(count: 64, batchSize: 32, classes: 4, side: 16, seed: 1)

    /// What a run leaves that must repeat: each checkpoint file's bytes and the metrics without timing.
    private struct Outcome: Equatable {
        var files: [String: Data]
        var metrics: [String]
    }

    private func outcome(of run: URL) throws -> Outcome {
        var files: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: run.path) where name.hasSuffix(".safetensors") {
            files[name] = try Data(contentsOf: run.appendingPathComponent(name))
        }
        let lines = try String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n")
        return Outcome(files: files, metrics: try lines.map(Self.withoutTiming))
    }

    /// One metrics line as sorted-key JSON without `seconds` and `images_per_s`, at every level.
    static func withoutTiming(_ line: Substring) throws -> String {
        func strip(_ value: Any) -> Any {
            guard let object = value as? [String: Any] else { return value }
            return object.filter { $0.key != "seconds" && $0.key != "images_per_s" }.mapValues(strip)
        }
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8))
        return String(decoding: try JSONSerialization.data(withJSONObject: strip(object), options: [.sortedKeys]), as: UTF8.self)
    }

    /// One epoch of `method` (nil: cross-entropy alone) from seeded models, into a fresh folder. The
    /// student is a plane2, or a resnet8 for Zipf (its dense votes need a network that pools its last map).
    private func distill(_ method: DistillationMethod?) throws -> Outcome {
        let student = method == .zipf ? "resnet8" : "plane2"
        let model = try ModelZoo.make(student, inputChannels: 1, inputSize: 16, classes: 4, context: context, seed: 3)
        var objective: any DistillationLoss = CrossEntropyLoss()
        var mixUp: MixUp?
        var teachers: [any Classifier] = []
        if let method {
            if method.kind == .offline {
                teachers = try (0..<(method.acceptsSeveralTeachers ? 2 : 1)).map {
                    try ModelZoo.make("plane4", inputChannels: 1, inputSize: 16, classes: 4, context: context, seed: 11 + UInt64($0))
                }
            }
            // What the CLI's probe forward tells the method: widths, last stage shapes, whether the student pools.
            let (taps, teacherTaps) = try context.noGrad { () throws -> (FeatureTaps, [FeatureTaps]) in
                let probe = try Tensor.zeros(shape: [1, 1, 16, 16], context: context)
                model.eval()
                defer { model.train() }
                return (try model.features(probe), try teachers.map { try $0.features(probe) })
            }
            func stage(_ taps: FeatureTaps) -> [Int] { Array(taps.stages.last?.shape.dropFirst() ?? []) }
            let setup = DistillationSetup(classes: 4, trainingLabels: (0..<train.count).map { $0 % 4 },
                                          studentFeatures: taps.pooled.shape.last ?? 0,
                                          teacherFeatures: teacherTaps.map { $0.pooled.shape.last ?? 0 },
                                          studentPoolsItsMap: taps.pooledMap != nil, teachers: teachers, studentStage: stage(taps),
                                          teacherStages: teacherTaps.map(stage), seed: 5, context: context)
            (objective, mixUp) = try method.makeObjective(setup)
        }
        var groups = [ParameterGroup(model.parameters())]
        if !objective.parameters().isEmpty { groups.append(ParameterGroup(objective.parameters())) }
        let optimizer = try SGDOptimizer(groups, options: .init(learningRate: 0.05, momentum: 0.9, weightDecay: 5e-4), context: context)
        let run = runDirectory()
        let schedule = try CosineAnnealingSchedule(baseLearningRate: 0.05, annealingEpochs: 2)
        let trainer = Trainer(model: model, optimizer: optimizer, schedule: schedule, epochs: 2, runDirectory: run)
        trainer.teachers = teachers
        trainer.objective = objective
        trainer.mixUp = mixUp
        trainer.seed = 7
        trainer.stopsOnCollapse = false
        try trainer.fit(train: train, test: test)
        return try outcome(of: run)
    }

    func testTrainingRepeatsBitForBit() throws {
        let first = try distill(nil)
        XCTAssertEqual(first.metrics.count, 2)
        XCTAssertEqual(try distill(nil), first)
    }

    func testEveryDistillationMethodRepeatsBitForBit() throws {
        let methods = MethodRegistry.methods.filter { $0.kind != .plain }
        XCTAssert(methods.contains { $0.kind == .offline } && methods.contains { $0.kind == .selfDistillation })
        for method in methods {
            let first: Outcome, second: Outcome
            do {
                (first, second) = (try distill(method), try distill(method))
            } catch {
                XCTFail("\(method.name): \(error)")
                continue
            }
            XCTAssertEqual(first.metrics.count, 2, method.name)
            XCTAssertEqual(second.metrics, first.metrics, "\(method.name): the metrics differ")
            for (name, bytes) in first.files { XCTAssertEqual(second.files[name], bytes, "\(method.name): \(name) differs") }
        }
    }

    /// One epoch of an online method from seeded networks, into a fresh folder.
    private func coTrain(_ method: OnlineMethod) throws -> Outcome {
        let networks = try (0..<2).map { index -> OnlineNetwork in
            let model = try ModelZoo.make("plane2", inputChannels: 1, inputSize: 16, classes: 4, context: context, seed: 3 + UInt64(index))
            let optimizer = try SGDOptimizer(parameters: model.parameters(),
                                             options: .init(learningRate: 0.01, momentum: 0.9, weightDecay: 5e-4), context: context)
            return OnlineNetwork(name: "n\(index)", model: model, optimizer: optimizer,
                                 schedule: try CosineAnnealingSchedule(baseLearningRate: 0.01, annealingEpochs: 2))
        }
        let run = runDirectory()
        let trainer = try OnlineTrainer(networks: networks, objective: try method.makeObjective(), epochs: 2, runDirectory: run)
        try trainer.fit(train: train, test: test)
        return try outcome(of: run)
    }

    func testOnlineMethodsRepeatBitForBit() throws {
        let methods = MethodRegistry.onlineMethods.filter { !$0.teachesFromFrozenTeacher }
        XCTAssert(methods.contains { $0.name == "dml" })
        for method in methods {
            let first = try coTrain(method)
            XCTAssertEqual(first.metrics.count, 2, method.name)
            let second = try coTrain(method)
            XCTAssertEqual(second.metrics, first.metrics, "\(method.name): the metrics differ")
            for (name, bytes) in first.files { XCTAssertEqual(second.files[name], bytes, "\(method.name): \(name) differs") }
        }
    }
}
