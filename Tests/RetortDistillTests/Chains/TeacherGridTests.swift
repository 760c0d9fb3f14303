import Foundation
import XCTest
@testable import RetortDistill

/// The sweet-spot grid's bookkeeping: a teacher trained per batch size (or a given run), a student
/// from every kept checkpoint of each, the grid table and its best cell, reuse and interruption.
final class TeacherGridTests: XCTestCase {
    /// Trains a fake teacher: the fake runner's run folder plus `epoch-<n>.safetensors` for every epoch.
    private func trainer(_ runner: FakeStageRunner, seen: @escaping (StageRequest, GridTeacher) -> Void)
        -> (StageRequest, GridTeacher) throws -> StageResult {
        { request, teacher in
            seen(request, teacher)
            let result = try runner.run(request)
            for metrics in result.history where !result.interrupted {
                try "weights bs\(teacher.batchSize) epoch \(metrics.epoch)".write(
                    to: request.directory.appendingPathComponent("epoch-\(metrics.epoch).safetensors"), atomically: true, encoding: .utf8)
            }
            return result
        }
    }

    func testTrainsATeacherPerBatchSizeDistillsFromEveryKeptCheckpointAndNamesTheBestCell() throws {
        let out = temporaryFolder("retort-grid")
        let runner = FakeStageRunner()
        runner.accuracies = ["teacher-bs32": [0.70, 0.80], "teacher-bs128": [0.60, 0.85]]
        let students = FakeStageRunner()
        // bs32: epochs 1, 2 → 0.50, 0.62; bs128: 0.58, 0.55. The best cell is bs32 epoch 2... unless bs128 epoch 1 wins: it does not.
        let top1 = [("bs32", 1, 0.50), ("bs32", 2, 0.62), ("bs128", 1, 0.58), ("bs128", 2, 0.55)]
        var trained: [(String, Int)] = []
        let teachers = [32, 128].map {
            GridTeacher(batchSize: $0, model: "plane6", run: out.appendingPathComponent("teacher-bs\($0)"), trains: true)
        }
        let grid = TeacherGrid(teachers: teachers, student: "plane2", directory: out, epochs: 1, teacherEpochs: 2)
        var recorded: [TeacherGridReport] = []
        let report = try grid.run(train: trainer(runner) { request, teacher in trained.append((request.name, teacher.batchSize)) },
                                  distill: { request in
                                      let folder = request.directory.deletingLastPathComponent().lastPathComponent
                                      let epoch = Int(request.name.dropFirst("from-epoch-".count))!
                                      students.accuracies[request.name] = [top1.first { $0.0 == folder && $0.1 == epoch }!.2]
                                      return try students.run(request)
                                  },
                                  parameterCount: { runner.parameters[$0]! }, record: { recorded.append($0) })
        XCTAssertEqual(trained.map(\.0), ["teacher-bs32", "teacher-bs128"])
        XCTAssertEqual(trained.map(\.1), [32, 128])
        XCTAssertEqual(students.requests.map { $0.directory.path.replacingOccurrences(of: out.path + "/", with: "") },
                       ["bs32/from-epoch-1", "bs32/from-epoch-2", "bs128/from-epoch-1", "bs128/from-epoch-2"])
        XCTAssertEqual(students.requests.map { students.teacherBytes[$0.name] ?? "" }.suffix(2),
                       ["weights bs128 epoch 1", "weights bs128 epoch 2"])
        XCTAssertEqual(recorded.count, 2, "after each column")
        XCTAssertEqual(report.columns.map(\.batchSize), [32, 128])
        XCTAssertEqual(report.best?.batchSize, 32)
        XCTAssertEqual(report.best?.row.checkpoint.epoch, 2)
        XCTAssertEqual(report.epochs, [1, 2])
        let markdown = report.markdown
        XCTAssert(markdown.contains("| teacher epoch | batch 32 | batch 128 |"), markdown)
        XCTAssert(markdown.contains("| 1 | 50.00% (70.00%) | 58.00% (60.00%) |"), markdown)
        XCTAssert(markdown.contains("| 2 | **62.00% (80.00%)** | 55.00% (85.00%) |"), markdown)
        XCTAssert(markdown.contains("Best cell: student 62.00% from the batch-32 teacher at epoch 2"), markdown)

        try report.write(to: out)
        let written = try Data(contentsOf: out.appendingPathComponent("sweep.json"))
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: written) as? [String: Any])
        let best = try XCTUnwrap(json["best"] as? [String: Any])
        XCTAssertEqual(best["batch_size"] as? Int, 32)
        XCTAssertEqual(best["teacher_epoch"] as? Int, 2)
        XCTAssertEqual(best["student_top1"] as? Double, 0.62)
        XCTAssertEqual(best["teacher_top1"] as? Double, 0.80)
        XCTAssertEqual(try JSONDecoder().decode(TeacherGridReport.self, from: written), report)

        // A rerun trains and distills nothing.
        let again = FakeStageRunner()
        let second = try grid.run(train: trainer(again) { _, _ in }, distill: again.run, parameterCount: { again.parameters[$0]! },
                                  record: { _ in })
        XCTAssertTrue(again.requests.isEmpty, "\(again.requests.map(\.name))")
        XCTAssertEqual(second.cells.map(\.row.student.bestTop1), report.cells.map(\.row.student.bestTop1))
    }

    func testGivenRunsAreNotTrainedAndAnInterruptedTeacherStopsTheGrid() throws {
        let out = temporaryFolder("retort-grid")
        let given = temporaryFolder("retort-grid-given")
        try FileManager.default.createDirectory(at: given, withIntermediateDirectories: true)
        try "weights given".write(to: given.appendingPathComponent("epoch-1.safetensors"), atomically: true, encoding: .utf8)
        let runner = FakeStageRunner()
        runner.interrupts = ["teacher-bs64"]
        let teachers = [GridTeacher(batchSize: 16, model: "plane4", run: given, trains: false),
                        GridTeacher(batchSize: 64, model: "plane4", run: out.appendingPathComponent("teacher-bs64"), trains: true),
                        GridTeacher(batchSize: 256, model: "plane4", run: out.appendingPathComponent("teacher-bs256"), trains: true)]
        let grid = TeacherGrid(teachers: teachers, student: "plane2", directory: out, epochs: 2, teacherEpochs: 2)
        var lines: [String] = []
        let report = try grid.run(train: trainer(runner) { _, _ in }, distill: runner.run, parameterCount: { runner.parameters[$0]! },
                                  record: { _ in }, log: { lines.append($0) })
        XCTAssertEqual(runner.requests.map(\.name), ["from-epoch-1", "teacher-bs64"],
                       "the given run is swept, not trained; bs256 never starts")
        XCTAssertTrue(report.interrupted)
        XCTAssertEqual(report.columns.map(\.batchSize), [16])
        XCTAssert(lines.contains { $0.contains("stopped in teacher-bs64") }, "\(lines)")
        XCTAssert(report.markdown.contains("Interrupted"), report.markdown)
    }
}
