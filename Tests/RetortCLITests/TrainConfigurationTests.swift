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
    }

    func testResolvedConfigurationRoundTripsThroughJSON() throws {
        let configuration = try TrainConfiguration.resolve(file: nil, flags: ["model": "wrn_16_2", "limit": "500", "out": "runs/a"], switches: [])
        let data = try JSONSerialization.data(withJSONObject: configuration.json)
        let file = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        XCTAssertEqual(try TrainConfiguration.resolve(file: file, flags: [:], switches: []), configuration)
    }
}
