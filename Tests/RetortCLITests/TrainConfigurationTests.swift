import XCTest
@testable import retort

final class TrainConfigurationTests: XCTestCase {
    func testFlagsOverrideTheFileAndDefaultsFillTheRest() throws {
        let file: [String: Any] = ["model": "resnet8", "epochs": 10, "lr": 0.1, "milestones": [5, 8], "schedule": "multistep"]
        let configuration = try TrainConfiguration.resolve(file: file, flags: ["epochs": "12", "seed": "3"], switches: ["nesterov"])
        XCTAssertEqual(configuration.model, "resnet8")
        XCTAssertEqual(configuration.epochs, 12, "the flag wins over the file")
        XCTAssertEqual(configuration.learningRate, 0.1)
        XCTAssertEqual(configuration.milestones, [5, 8])
        XCTAssertEqual(configuration.seed, 3)
        XCTAssertTrue(configuration.nesterov)
        XCTAssertEqual(configuration.batchSize, 128)
        XCTAssertEqual(try TrainConfiguration.resolve(file: nil, flags: ["milestones": "150,180,210"], switches: []).milestones, [150, 180, 210])
    }

    func testUnknownKeysAndBadValuesNameTheKey() {
        func message(file: [String: Any]? = nil, flags: [String: String] = [:]) -> String {
            do {
                _ = try TrainConfiguration.resolve(file: file, flags: flags, switches: [])
                return "no error"
            } catch { return error.description }
        }
        XCTAssert(message(file: ["learning_rate": 0.1]).contains("unknown key 'learning_rate'"))
        XCTAssert(message(flags: ["epochs": "-1"]).contains("epochs must be an integer"))
        XCTAssert(message(flags: ["lr": "fast"]).contains("lr must be a number"))
        XCTAssert(message(flags: ["dataset": "imagenet"]).contains("dataset must be"))
        XCTAssert(message(flags: ["schedule": "linear"]).contains("schedule must be"))
        XCTAssert(message(flags: ["milestones": "10,x"]).contains("milestones must be"))
        XCTAssert(message(flags: ["save-every-steps": "0"]).contains("save-every-steps must be an integer"))
        // A settings file's null or object is no value: refused, not read as the text "<null>".
        XCTAssert(message(file: ["out": NSNull()]).contains("out is null in the settings file"))
        XCTAssert(message(file: ["model": ["name": "plane2"]]).contains("model is an object"))
        XCTAssert(message(file: ["milestones": [10, NSNull()]]).contains("milestones is null"))
    }

    func testResolvedConfigurationRoundTripsThroughJSON() throws {
        let configuration = try TrainConfiguration.resolve(file: nil, flags: ["model": "wrn_16_2", "limit": "500", "out": "runs/a",
                                                                            "save-every-steps": "50"], switches: [])
        XCTAssertEqual(configuration.training.saveEverySteps, 50)
        let data = try JSONSerialization.data(withJSONObject: configuration.json)
        let file = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        XCTAssertEqual(try TrainConfiguration.resolve(file: file, flags: [:], switches: []), configuration)
    }

    func testTeacherModelIsDistillLossKDWithItsOptions() throws {
        let file: [String: Any] = ["teacher-model": "plane6", "teacher-weights": "t.safetensors", "kd-t2": false]
        let configuration = try TrainConfiguration.resolve(file: file, flags: ["temperature": "2", "loss-weight": "0.5", "ce-weight": "0.25"],
                                                           switches: [])
        XCTAssertEqual(configuration.distillationMethod, "kd")
        XCTAssertEqual(configuration.teacherNames, ["plane6"])
        XCTAssertEqual(configuration.teacherWeights, ["t.safetensors"])
        XCTAssertEqual(configuration.methodOptions, ["temperature": 2, "loss-weight": 0.5, "ce-weight": 0.25, "kd-t2": 0])
        let saved = try JSONSerialization.jsonObject(with: JSONSerialization.data(withJSONObject: configuration.json)) as? [String: Any]
        XCTAssertEqual(try TrainConfiguration.resolve(file: saved, flags: [:], switches: []), configuration)
        XCTAssertNil(try TrainConfiguration.resolve(file: nil, flags: [:], switches: []).distillationMethod)

        func message(file: [String: Any]? = nil, flags: [String: String]) -> String {
            do {
                _ = try TrainConfiguration.resolve(file: file, flags: flags, switches: [])
                return "no error"
            } catch { return error.description }
        }
        let teacher = ["teacher-model": "plane6", "teacher-weights": "t.safetensors"]
        XCTAssert(message(flags: teacher.merging(["kd-alpha": "0.5"]) { $1 }).contains("kd-alpha is now loss-weight"))
        XCTAssert(message(flags: teacher.merging(["kd-gamma": "0.5"]) { $1 }).contains("kd-gamma is now ce-weight"))
        XCTAssert(message(file: ["kd-temperature": 2], flags: teacher).contains("kd-temperature is now temperature"))
        XCTAssert(message(flags: teacher.merging(["dkd-beta": "2"]) { $1 }).contains("unknown option '--dkd-beta' for 'train'"))
        XCTAssert(message(flags: ["temperature": "2"]).contains("temperature applies to distillation from --teacher-model"))
        XCTAssert(message(flags: ["teacher-model": "plane6"]).contains("--teacher-model needs --teacher-weights"))
    }
}
