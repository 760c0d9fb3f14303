import Foundation
import XCTest
@testable import RetortDistill

/// The chain's orchestration with an injected stage runner (no training): order, which checkpoint
/// teaches each stage, given teacher weights, the direct student, reuse of finished stages.
final class TeacherAssistantChainTests: XCTestCase {
    private func chain(_ models: [String], in folder: URL, teacherWeights: URL? = nil, direct: Bool = true) throws -> TeacherAssistantChain {
        try TeacherAssistantChain(models: models, directory: folder, teacherWeights: teacherWeights, comparesDirect: direct, epochs: 3)
    }

    func testStagesRunInOrderAndEachLearnsFromThePreviousStagesBestCheckpoint() throws {
        let folder = temporaryFolder("retort-chain")
        let runner = FakeStageRunner()
        // Best ≠ last: the teacher peaks at epoch 2 of 3, the assistant at epoch 1.
        runner.accuracies = ["plane10": [0.70, 0.90, 0.80], "plane6": [0.85, 0.60, 0.70], "plane2": [0.50, 0.60, 0.65]]
        let report = try chain(["plane10", "plane6", "plane2"], in: folder).run(runner: runner.run, parameterCount: { runner.parameters[$0]! })

        XCTAssertEqual(runner.requests.map(\.name), ["0-plane10", "1-plane6", "2-plane2", "direct-plane2"])
        XCTAssertEqual(runner.requests.map(\.model), ["plane10", "plane6", "plane2", "plane2"])
        XCTAssertEqual(runner.requests[0].task, .train, "the teacher trains on the labels")
        XCTAssertEqual(runner.requests.map(\.directory.lastPathComponent), ["0-plane10", "1-plane6", "2-plane2", "direct-plane2"])
        XCTAssertEqual(runner.requests[1].teacher?.model, "plane10")
        XCTAssertEqual(runner.requests[2].teacher?.model, "plane6")
        XCTAssertEqual(runner.requests[3].teacher?.model, "plane10", "the direct student learns from the teacher")
        // The bytes each stage's teacher file held: the previous stage's best epoch, not its last.
        XCTAssertEqual(runner.teacherBytes["1-plane6"], "best of 0-plane10 at epoch 2")
        XCTAssertEqual(runner.teacherBytes["2-plane2"], "best of 1-plane6 at epoch 1")
        XCTAssertEqual(runner.teacherBytes["direct-plane2"], "best of 0-plane10 at epoch 2")
        XCTAssertFalse(runner.requests.contains { $0.resumes })

        // Rows report the best epoch (the handed-on checkpoint), with its fidelity and ECE.
        XCTAssertEqual(report.stages.map(\.stage), ["0-plane10", "1-plane6", "2-plane2"])
        XCTAssertEqual(report.stages.map(\.bestTop1), [0.90, 0.85, 0.65])
        XCTAssertEqual(report.stages.map(\.bestEpoch), [2, 1, 3])
        XCTAssertEqual(report.stages[1].agreement ?? 0, 0.6, accuracy: 1e-12)
        XCTAssertEqual(report.stages[1].predictiveKL, 1.0)
        XCTAssertEqual(report.stages[0].calibrationError ?? 0, 0.02, accuracy: 1e-12)
        XCTAssertNil(report.stages[0].agreement, "the teacher has no teacher")
        XCTAssertEqual(report.stages.map(\.teacher), [nil, "plane10", "plane6"])
        XCTAssertEqual(report.stages.map(\.parameters), [2_487_850, 82_778, 13_082])
        XCTAssertEqual(report.direct?.stage, "direct-plane2")
        XCTAssertEqual(report.direct?.bestTop1, 0.65)
        XCTAssertEqual(report.chainMinusDirect ?? .nan, 0, accuracy: 1e-12)
        XCTAssertFalse(report.interrupted)

        // The table and JSON in the chain folder.
        let markdown = try String(contentsOf: folder.appendingPathComponent("summary.md"), encoding: .utf8)
        XCTAssert(markdown.contains("| 1-plane6 | plane6 | plane10 | 82,778 | 85.00% | 1 | 60.00% | 1.0000 |"), markdown)
        XCTAssert(markdown.contains("| direct-plane2 | plane2 | plane10 |"), markdown)
        let saved = try JSONDecoder().decode(ChainReport.self, from: Data(contentsOf: folder.appendingPathComponent("chain.json")))
        XCTAssertEqual(saved, report)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("chain.json"))) as? [String: Any]
        XCTAssertNotNil(json?["chain_minus_direct_top1"])
    }

    func testTheDirectStudentIsComparedWithTheChainsStudent() throws {
        let folder = temporaryFolder("retort-chain")
        let runner = FakeStageRunner()
        runner.accuracies = ["plane10": [0.9, 0.9, 0.9], "plane6": [0.8, 0.8, 0.8], "plane2": [0.6, 0.7, 0.7]]
        // The direct student shares the model name: make its run differ through the runner's record.
        var calls = 0
        let report = try chain(["plane10", "plane6", "plane2"], in: folder).run(runner: { request in
            calls += 1
            if request.name == "direct-plane2" { runner.accuracies["plane2"] = [0.55, 0.62, 0.61] }
            return try runner.run(request)
        }, parameterCount: { runner.parameters[$0]! })
        XCTAssertEqual(calls, 4)
        XCTAssertEqual(report.chainMinusDirect ?? .nan, 0.70 - 0.62, accuracy: 1e-12)
        XCTAssert(report.markdown.contains("+8.00 points for the chain"), report.markdown)
    }

    func testGivenTeacherWeightsAreEvaluatedNotTrainedAndTeachTheFirstAssistant() throws {
        let folder = temporaryFolder("retort-chain")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let weights = folder.appendingPathComponent("teacher.safetensors")
        try "given teacher".write(to: weights, atomically: true, encoding: .utf8)
        let runner = FakeStageRunner()
        let report = try chain(["plane10", "plane6", "plane2"], in: folder, teacherWeights: weights)
            .run(runner: runner.run, parameterCount: { runner.parameters[$0]! })
        XCTAssertEqual(runner.requests[0].task, .evaluate(weights: weights))
        XCTAssertFalse(runner.requests.contains { $0.task == .train }, "no stage trains on the labels")
        XCTAssertEqual(runner.teacherBytes["1-plane6"], "given teacher")
        XCTAssertEqual(runner.teacherBytes["direct-plane2"], "given teacher")
        XCTAssertEqual(runner.teacherBytes["2-plane2"], "best of 1-plane6 at epoch 2")
        XCTAssertTrue(report.stages[0].evaluated)
        XCTAssertEqual(report.stages[0].bestTop1, 0.9)
        XCTAssertEqual(report.stages[0].calibrationError, 0.03)
        XCTAssertNil(report.stages[0].bestEpoch)
        XCTAssertEqual(report.stages[0].weights, weights.path)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("0-plane10/metrics.jsonl").path))
    }

    func testARerunReusesFinishedStagesAndContinuesAnInterruptedOne() throws {
        let folder = temporaryFolder("retort-chain")
        let first = FakeStageRunner()
        first.accuracies = ["plane10": [0.7, 0.9, 0.8], "plane6": [0.5, 0.8, 0.6], "plane2": [0.4, 0.5, 0.6]]
        first.interrupts = ["2-plane2"]
        var log: [String] = []
        let stopped = try chain(["plane10", "plane6", "plane2"], in: folder).run(runner: first.run, parameterCount: { first.parameters[$0]! },
                                                                                  log: { log.append($0) })
        XCTAssertTrue(stopped.interrupted)
        XCTAssertEqual(first.requests.map(\.name), ["0-plane10", "1-plane6", "2-plane2"], "nothing runs after an interrupted stage")
        XCTAssertNil(stopped.direct)
        XCTAssert(log.contains { $0.contains("run the same chain command again") }, "\(log)")
        XCTAssert(try String(contentsOf: folder.appendingPathComponent("summary.md"), encoding: .utf8).contains("Interrupted"))

        // Again: the two finished stages are reused (their rows as before), the interrupted one
        // continues from its last checkpoint, the direct student runs.
        let second = FakeStageRunner()
        second.accuracies = first.accuracies
        log = []
        let report = try chain(["plane10", "plane6", "plane2"], in: folder).run(runner: second.run, parameterCount: { _ in
            XCTFail("stage.json holds the parameter counts"); return 0
        }, log: { log.append($0) })
        XCTAssertEqual(second.requests.map(\.name), ["2-plane2", "direct-plane2"])
        XCTAssertEqual(second.requests.map(\.resumes), [true, false])
        XCTAssertEqual(second.teacherBytes["2-plane2"], "best of 1-plane6 at epoch 2")
        XCTAssertEqual(report.stages.map(\.reused), [true, true, false])
        XCTAssertEqual(Array(report.stages.prefix(2)).map(\.bestTop1), Array(stopped.stages.prefix(2)).map(\.bestTop1))
        XCTAssertEqual(report.stages[1].bestEpoch, 2)
        XCTAssertEqual(report.stages[1].agreement ?? 0, 0.7, accuracy: 1e-12)
        XCTAssertEqual(report.stages[1].seconds, 3, "the wall time recorded when the stage ran")
        XCTAssertEqual(report.stages[1].parameters, 82_778)
        XCTAssert(log.contains { $0.contains("0-plane10: finished run found") && $0.contains("reusing it") }, "\(log)")
        XCTAssertFalse(report.interrupted)
        XCTAssert(report.markdown.contains("| reused |"), report.markdown)

        // A third time: everything is reused, nothing runs.
        let third = FakeStageRunner()
        let again = try chain(["plane10", "plane6", "plane2"], in: folder).run(runner: third.run, parameterCount: { third.parameters[$0]! })
        XCTAssertTrue(third.requests.isEmpty)
        XCTAssertEqual(again.stages.map(\.bestTop1), report.stages.map(\.bestTop1))
        XCTAssertEqual(again.direct?.bestTop1, report.direct?.bestTop1)
    }

    func testMoreEpochsContinueTheTeacherAndRestartTheStagesItTaught() throws {
        let folder = temporaryFolder("retort-chain")
        let first = FakeStageRunner()
        _ = try TeacherAssistantChain(models: ["plane6", "plane2"], directory: folder, epochs: 2)
            .run(runner: first.run, parameterCount: { first.parameters[$0]! })
        let stale = folder.appendingPathComponent("1-plane2/stale-marker")
        try "x".write(to: stale, atomically: true, encoding: .utf8)
        // Three epochs where two were run: the teacher's run is incomplete and continues; the
        // student it taught is started over.
        let second = FakeStageRunner()
        second.accuracies = ["plane6": [0.5, 0.6, 0.9], "plane2": [0.3, 0.4, 0.5]]
        _ = try TeacherAssistantChain(models: ["plane6", "plane2"], directory: folder, epochs: 3)
            .run(runner: second.run, parameterCount: { second.parameters[$0]! })
        XCTAssertEqual(second.requests.map(\.name), ["0-plane6", "1-plane2"])
        XCTAssertEqual(second.requests.map(\.resumes), [true, false])
        XCTAssertFalse(FileManager.default.fileExists(atPath: stale.path), "the student's old folder was taught by other weights")
        XCTAssertEqual(second.teacherBytes["1-plane2"], "best of 0-plane6 at epoch 3")
    }

    func testOtherTeacherWeightsRestartTheStagesTheyTeach() throws {
        let folder = temporaryFolder("retort-chain")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let (a, b) = (folder.appendingPathComponent("a.safetensors"), folder.appendingPathComponent("b.safetensors"))
        try "teacher a".write(to: a, atomically: true, encoding: .utf8)
        try "teacher b".write(to: b, atomically: true, encoding: .utf8)
        let first = FakeStageRunner()
        _ = try chain(["plane10", "plane6", "plane2"], in: folder, teacherWeights: a).run(runner: first.run, parameterCount: { first.parameters[$0]! })
        let second = FakeStageRunner()
        var log: [String] = []
        _ = try chain(["plane10", "plane6", "plane2"], in: folder, teacherWeights: b).run(runner: second.run, parameterCount: { second.parameters[$0]! },
                                                                                           log: { log.append($0) })
        // The stages taught by the given file start over; 2-plane2 then follows its retrained teacher.
        XCTAssertEqual(second.requests.map(\.name), ["0-plane10", "1-plane6", "2-plane2", "direct-plane2"])
        XCTAssertEqual(second.teacherBytes["1-plane6"], "teacher b")
        XCTAssertEqual(second.teacherBytes["direct-plane2"], "teacher b")
        XCTAssert(log.contains { $0.contains("1-plane6:") && $0.contains("was taught by \(a.path)") }, "\(log)")
    }

    func testAChainNeedsTwoModels() {
        XCTAssertThrowsError(try TeacherAssistantChain(models: ["plane10"], directory: URL(fileURLWithPath: "/tmp"), epochs: 1)) { error in
            XCTAssertEqual(error as? ChainError, .tooFewModels(["plane10"]))
            XCTAssert("\(error)".contains("--models plane10,plane6,plane2"), "\(error)")
        }
    }
}
