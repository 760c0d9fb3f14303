import XCTest
@testable import retort

/// `retort distill` / `retort selfdistill` settings: teachers, methods, method options and their errors.
final class DistillConfigurationTests: XCTestCase {
    private func message<Configuration: CommandConfiguration>(_ command: Configuration.Type, file: [String: Any]? = nil,
                                                              flags: [String: String]) -> String {
        do {
            _ = try Configuration.resolve(file: file, flags: flags, switches: [])
            return "no error"
        } catch { return error.description }
    }

    func testTeachersLossAndOptionsFromFlagsAndFile() throws {
        let file: [String: Any] = ["student": "plane2", "teacher": ["plane6", "plane10"], "teacher-weights": ["a.safetensors", "b.safetensors"],
                                   "loss": "camkd", "temperature": 2]
        let configuration = try DistillConfiguration.resolve(file: file, flags: ["ce-weight": "0.5"], switches: [])
        XCTAssertEqual(configuration.model, "plane2")
        XCTAssertEqual(configuration.teachers, ["plane6", "plane10"])
        XCTAssertEqual(configuration.teacherWeights, ["a.safetensors", "b.safetensors"])
        XCTAssertEqual(configuration.method, "camkd")
        XCTAssertEqual(configuration.methodOptions, ["temperature": 2, "ce-weight": 0.5])
        // The run folder's config.json resolves back to the same settings (resume reads it).
        let data = try JSONSerialization.data(withJSONObject: configuration.json)
        let saved = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        XCTAssertEqual(try DistillConfiguration.resolve(file: saved, flags: [:], switches: []), configuration)
        let dkd = try DistillConfiguration.resolve(file: nil, flags: ["teacher": "plane6", "teacher-weights": "t.safetensors", "loss": "dkd",
                                                                               "dkd-beta": "2", "dkd-warmup": "5"], switches: [])
        XCTAssertEqual(dkd.methodOptions, ["dkd-beta": 2, "dkd-warmup": 5])
        XCTAssertEqual(try DistillConfiguration.resolve(file: nil, flags: ["teacher": "plane6", "teacher-weights": "t"], switches: []).method,
                       "kd", "kd is the default loss")
    }

    func testDistillErrorsNameTheProblem() {
        let teacher = ["teacher": "plane6", "teacher-weights": "t.safetensors"]
        XCTAssert(message(DistillConfiguration.self, flags: ["loss": "kd"]).contains("distill needs --teacher"))
        XCTAssert(message(DistillConfiguration.self, flags: teacher.merging(["loss": "fitnet"]) { $1 }).contains("unknown loss 'fitnet'"))
        XCTAssert(message(DistillConfiguration.self, flags: ["teacher": "plane6,plane10", "teacher-weights": "t"]).contains("one --teacher-weights per --teacher"))
        XCTAssert(message(DistillConfiguration.self, flags: ["teacher": "a,b", "teacher-weights": "x,y", "loss": "dkd"]).contains("takes one teacher"))
        XCTAssert(message(DistillConfiguration.self, flags: teacher.merging(["loss": "kd", "dkd-beta": "8"]) { $1 }).contains("dkd-beta does not apply to kd"))
        XCTAssert(message(DistillConfiguration.self, flags: teacher.merging(["kd-reduction": "max"]) { $1 }).contains("kd-reduction must be"))
        XCTAssert(message(DistillConfiguration.self, file: ["teacher-model": "plane6"], flags: teacher).contains("unknown key 'teacher-model' in the config file for 'distill'"))
        XCTAssert(message(SelfDistillConfiguration.self, flags: [:]).contains("selfdistill needs --method"))
        XCTAssert(message(SelfDistillConfiguration.self, flags: ["method": "kd"]).contains("unknown method 'kd'"))
        XCTAssert(message(SelfDistillConfiguration.self, flags: ["method": "zipf", "bake-omega": "0.5"]).contains("bake-omega does not apply to zipf"))
        XCTAssert(message(TrainConfiguration.self, flags: ["loss": "kd"]).contains("unknown option '--loss' for 'train'"))
    }

    func testSelfDistillationLabelSmoothingDefaultsToOneTenth() throws {
        XCTAssertEqual(try SelfDistillConfiguration.resolve(file: nil, flags: ["method": "ls"], switches: []).labelSmoothing, 0.1)
        XCTAssertEqual(try SelfDistillConfiguration.resolve(file: nil, flags: ["method": "ls", "label-smoothing": "0.2"], switches: []).labelSmoothing, 0.2)
    }

    func testRepeatedTeacherOptionsAccumulate() throws {
        let parsed = try Arguments.parse(["distill", "--teacher", "plane6", "--teacher-weights", "a", "--teacher", "plane10", "--teacher-weights", "b"],
                                         specs: CLI.specs, global: ["help", "version"])
        XCTAssertEqual(parsed.options["teacher"], "plane6,plane10")
        XCTAssertEqual(parsed.options["teacher-weights"], "a,b")
        XCTAssertThrowsError(try Arguments.parse(["distill", "--loss", "kd", "--loss", "dkd"], specs: CLI.specs, global: ["help", "version"])) {
            XCTAssert("\($0)".contains("'--loss' is given twice"), "\($0)")
        }
    }
}
