import RetortData
import XCTest
@testable import retort

/// `retort sweep-teachers` settings for the grid: a teacher trained per batch size, or given runs.
final class SweepConfigurationTests: XCTestCase {
    private func resolve(_ flags: [String: String], runs: [String: [String: Any]] = [:]) throws -> SweepConfiguration {
        try SweepConfiguration.resolve(file: nil, flags: flags, switches: []) { run in
            guard let settings = runs[run] else { throw CLIError.failed("\(run) has no config.json") }
            return settings
        }
    }

    private func message(_ flags: [String: String], runs: [String: [String: Any]] = [:]) -> String {
        do {
            _ = try resolve(flags, runs: runs)
            return "no error"
        } catch { return "\(error)" }
    }

    private let grid = ["teacher": "plane6", "student": "plane2", "batch-sizes": "32,128,512", "save-every": "2", "epochs": "3",
                        "lr": "0.05", "teacher-epochs": "8", "teacher-lr": "0.1", "out": "runs/g", "seed": "4"]

    func testTheTeacherIsTrainedPerBatchSizeWithItsOwnEpochsAndLearningRate() throws {
        let configuration = try resolve(grid)
        XCTAssertTrue(configuration.isGrid)
        XCTAssertEqual(configuration.teachers.map(\.batchSize), [32, 128, 512])
        XCTAssertEqual(configuration.teachers.map(\.run.lastPathComponent), ["teacher-bs32", "teacher-bs128", "teacher-bs512"])
        XCTAssert(configuration.teachers.allSatisfy { $0.trains && $0.model == "plane6" })
        XCTAssertEqual(configuration.epochs, 3, "the students' budget")
        XCTAssertEqual(configuration.teacherEpochs, 8)
        let teacher = try XCTUnwrap(configuration.teacherSettings(batchSize: 128)).teacher(model: "plane6", run: URL(fileURLWithPath: "t"))
        XCTAssertEqual(teacher.batchSize, 128)
        XCTAssertEqual(teacher.epochs, 8)
        XCTAssertEqual(teacher.learningRate, 0.1)
        XCTAssertEqual(teacher.saveEvery, 2)
        XCTAssertEqual(teacher.seed, 4, "the same seed as the students")
        let student = try configuration.settings.student(model: "plane2", teacher: "plane6", weights: "w", run: URL(fileURLWithPath: "s"))
        XCTAssertNil(student.saveEvery, "students keep no intermediate checkpoints")
        XCTAssertEqual(student.learningRate, 0.05)
        XCTAssertEqual(configuration.json["batch-sizes"] as? [Int], [32, 128, 512])
        XCTAssertEqual(configuration.json["teacher-epochs"] as? Int, 8)
    }

    func testGivenRunsAreReadForTheirBatchSizes() throws {
        let runs: [String: [String: Any]] = ["a": ["model": "plane6", "batch-size": 64, "limit": 500, "mean": [0.5], "std": [0.25]],
                                             "b": ["model": "plane6", "batch-size": 256, "limit": 500, "mean": [0.5], "std": [0.25]]]
        let configuration = try resolve(["run": "a,b", "student": "plane2"], runs: runs)
        XCTAssertTrue(configuration.isGrid)
        XCTAssertEqual(configuration.teachers.map(\.batchSize), [64, 256])
        XCTAssertFalse(configuration.teachers.contains { $0.trains })
        XCTAssertEqual(configuration.settings.file["limit"] as? Int, 500)
        let student = try configuration.settings.student(model: "plane2", teacher: "plane6", weights: "w", run: URL(fileURLWithPath: "s"))
        XCTAssertEqual(try student.training.normalization(), Normalization(mean: [0.5], std: [0.25]),
                       "the students see the teachers' inputs")
        XCTAssertFalse(try resolve(["run": "a", "student": "plane2"], runs: runs).isGrid, "one run: the plain sweep")
        var other = runs
        other["b"]?["limit"] = 600
        XCTAssert(message(["run": "a,b", "student": "plane2"], runs: other).contains("the runs differ in limit"))
        other["b"] = ["model": "plane6", "batch-size": 64]
        XCTAssert(message(["run": "a,b", "student": "plane2"], runs: other).contains("both trained at batch size 64"))
    }

    func testGridErrorsNameTheKey() {
        var flags = grid
        flags["batch-sizes"] = nil
        XCTAssert(message(flags).contains("--teacher needs --batch-sizes"))
        flags = grid
        flags["save-every"] = nil
        XCTAssert(message(flags).contains("--teacher needs --save-every K"))
        flags = grid
        flags["batch-sizes"] = "32,x"
        XCTAssert(message(flags).contains("batch-sizes must be an integer"))
        flags["batch-sizes"] = "32,32"
        XCTAssert(message(flags).contains("batch-sizes must list distinct batch sizes"))
        flags = grid
        flags["teacher-epochs"] = "0"
        XCTAssert(message(flags).contains("teacher-epochs must be an integer"), message(flags))
        flags = grid
        flags["teacher-lr"] = "fast"
        XCTAssert(message(flags).contains("teacher-lr must be a number"), message(flags))
        flags = grid
        flags["teacher"] = "plane99"
        XCTAssert(message(flags).contains("teacher: unknown model 'plane99'"))
        flags = grid
        flags["run"] = "r"
        XCTAssert(message(flags).contains("give either --teacher NAME"))
        XCTAssert(message(["run": "r", "student": "plane2", "teacher-epochs": "3"], runs: ["r": ["model": "plane6"]])
            .contains("--teacher-epochs applies to the grid that trains its teachers"))
    }
}
