import Foundation
import XCTest
@testable import RetortDistill

/// The sweep's bookkeeping: which checkpoints of a teacher run it finds, their teacher accuracies,
/// one student per checkpoint taught by that checkpoint, the best student, reuse on a rerun.
final class TeacherSweepTests: XCTestCase {
    /// A teacher run folder: `metrics.jsonl` with these test accuracies, the listed files.
    private func teacherRun(accuracies: [Double]?, files: [String]) throws -> URL {
        let run = temporaryFolder("retort-teacher")
        try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
        if let accuracies {
            let lines = try accuracies.enumerated().map {
                String(decoding: try JSONEncoder().encode(FakeStageRunner.metrics(epoch: $0.offset + 1, top1: $0.element, distilled: false)), as: UTF8.self)
            }
            try (lines.joined(separator: "\n") + "\n").write(to: run.appendingPathComponent("metrics.jsonl"), atomically: true, encoding: .utf8)
        }
        for file in files { try "weights \(file)".write(to: run.appendingPathComponent(file), atomically: true, encoding: .utf8) }
        return run
    }

    func testFindsEpochCheckpointsInNumericOrderWithTheBestWhenNotKept() throws {
        let accuracies = [0.10, 0.20, 0.30, 0.40, 0.50, 0.60, 0.95, 0.70, 0.80, 0.90]
        let run = try teacherRun(accuracies: accuracies,
                                 files: ["epoch-10.safetensors", "epoch-2.safetensors", "epoch-4.safetensors", "epoch-6.safetensors",
                                         "epoch-8.safetensors", "best.safetensors", "best.optimizer.safetensors", "last.safetensors",
                                         "epoch-2.optimizer.safetensors", "epoch-x.safetensors"])
        let found = try TeacherSweep.checkpoints(in: run)
        XCTAssertEqual(found.map(\.file), ["epoch-2.safetensors", "epoch-4.safetensors", "epoch-6.safetensors", "best.safetensors",
                                           "epoch-8.safetensors", "epoch-10.safetensors"])
        XCTAssertEqual(found.map(\.epoch), [2, 4, 6, 7, 8, 10], "best.safetensors holds epoch 7, the most accurate")
        XCTAssertEqual(found.map(\.teacherTop1), [0.20, 0.40, 0.60, 0.95, 0.70, 0.90])
        XCTAssertEqual(found[3].path, run.appendingPathComponent("best.safetensors").path)
    }

    func testTheBestIsNotAddedWhenItsEpochIsKept() throws {
        let run = try teacherRun(accuracies: [0.3, 0.8, 0.5, 0.6], files: ["epoch-2.safetensors", "epoch-4.safetensors", "best.safetensors"])
        XCTAssertEqual(try TeacherSweep.checkpoints(in: run).map(\.file), ["epoch-2.safetensors", "epoch-4.safetensors"])
    }

    func testWithoutMetricsTheCheckpointsMetadataGivesEpochAndAccuracy() throws {
        let run = try teacherRun(accuracies: nil, files: [])
        for (file, epoch, top1) in [("epoch-3.safetensors", 3, "0.625"), ("best.safetensors", 5, "0.75")] {
            try SafeTensors(tensors: [:], metadata: ["epoch": "\(epoch)", "step": "0", "test_top1": top1]).write(to: run.appendingPathComponent(file))
        }
        let found = try TeacherSweep.checkpoints(in: run)
        XCTAssertEqual(found.map(\.file), ["epoch-3.safetensors", "best.safetensors"])
        XCTAssertEqual(found.map(\.epoch), [3, 5])
        XCTAssertEqual(found[0].teacherTop1, 0.625)
        XCTAssertNil(found[1].teacherTop1, "best's accuracy is not in its metadata")
    }

    func testARunWithoutKeptCheckpointsIsAnErrorThatSuggestsSaveEvery() throws {
        let run = try teacherRun(accuracies: [0.5, 0.6], files: ["best.safetensors", "last.safetensors"])
        XCTAssertThrowsError(try TeacherSweep.checkpoints(in: run)) { error in
            XCTAssertEqual(error as? ChainError, .noKeptCheckpoints(run: run.path))
            XCTAssert("\(error)".contains("retort train --save-every K"), "\(error)")
        }
        XCTAssertThrowsError(try TeacherSweep.checkpoints(in: run.appendingPathComponent("missing"))) { error in
            XCTAssert("\(error)".contains("is not a run folder"), "\(error)")
        }
    }

    func testEachCheckpointTeachesAFreshStudentAndTheBestStudentIsNamed() throws {
        let run = try teacherRun(accuracies: [0.5, 0.7, 0.8, 0.9], files: ["epoch-1.safetensors", "epoch-2.safetensors", "epoch-3.safetensors",
                                                                             "best.safetensors"])
        let out = temporaryFolder("retort-sweep")
        let runner = FakeStageRunner()
        // The middle checkpoint teaches best; the most accurate teacher (best = epoch 4) does not.
        runner.accuracies = ["from-epoch-1": [0.40, 0.50], "from-epoch-2": [0.66, 0.61], "from-epoch-3": [0.55, 0.60], "from-epoch-4": [0.58, 0.57]]
        let sweep = TeacherSweep(run: run, teacher: "plane6", student: "plane2", directory: out, epochs: 2)
        let report = try sweep.run(runner: runner.run, parameterCount: { runner.parameters[$0]! })
        XCTAssertEqual(runner.requests.map(\.name), ["from-epoch-1", "from-epoch-2", "from-epoch-3", "from-epoch-4"])
        XCTAssertEqual(Set(runner.requests.map(\.model)), ["plane2"])
        XCTAssertEqual(Set(runner.requests.compactMap(\.teacher?.model)), ["plane6"])
        XCTAssertEqual(runner.requests.map { runner.teacherBytes[$0.name] ?? "" },
                       ["weights epoch-1.safetensors", "weights epoch-2.safetensors", "weights epoch-3.safetensors", "weights best.safetensors"])
        XCTAssertEqual(report.rows.map(\.student.bestTop1), [0.50, 0.66, 0.60, 0.58])
        XCTAssertEqual(report.bestStudent?.checkpoint.file, "epoch-2.safetensors")
        XCTAssertEqual(report.bestTeacher?.checkpoint.file, "best.safetensors")
        XCTAssertEqual(report.conclusion, "Best student 66.00% from epoch-2.safetensors (teacher epoch 2, teacher top-1 70.00%); "
                       + "the most accurate teacher, best.safetensors (epoch 4, 90.00%), gave 58.00%.")
        let markdown = try String(contentsOf: out.appendingPathComponent("sweep.md"), encoding: .utf8)
        XCTAssert(markdown.contains("| epoch-2.safetensors | 2 | 70.00% | 66.00% | 60.00% | 1.0000 | 0.0100 | 3.0 | best student |"), markdown)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("sweep.json"))) as? [String: Any]
        XCTAssertEqual(json?["best_student_from"] as? String, "epoch-2.safetensors")
        XCTAssertEqual(json?["best_teacher"] as? String, "best.safetensors")
        XCTAssertEqual(try JSONDecoder().decode(SweepReport.self, from: Data(contentsOf: out.appendingPathComponent("sweep.json"))), report)

        // A rerun reuses every finished student.
        let again = FakeStageRunner()
        let second = try sweep.run(runner: again.run, parameterCount: { again.parameters[$0]! })
        XCTAssertTrue(again.requests.isEmpty)
        XCTAssertEqual(second.rows.map(\.student.bestTop1), report.rows.map(\.student.bestTop1))
        XCTAssertEqual(second.rows.map(\.student.reused), [true, true, true, true])
    }
}
