import XCTest
@testable import retort

/// `retort online` settings: models, methods, per-network learning rates and their errors.
final class OnlineConfigurationTests: XCTestCase {
    private func message(file: [String: Any]? = nil, flags: [String: String]) -> String {
        do {
            _ = try OnlineConfiguration.resolve(file: file, flags: flags, switches: [])
            return "no error"
        } catch { return error.description }
    }

    func testSettingsFromTheFileAndFlagsRoundTrip() throws {
        let file: [String: Any] = ["models": ["resnet20", "resnet8"], "method": "sokd", "teacher-weights": "t.safetensors", "temperature": 2,
                                   "lrs": [0.1, 0.05], "epochs": 5]
        let configuration = try OnlineConfiguration.resolve(file: file, flags: ["seed": "3"], switches: [])
        XCTAssertEqual(configuration.models, ["resnet20", "resnet8"])
        XCTAssertEqual(configuration.method, "sokd")
        XCTAssertEqual(configuration.teacherWeights, ["t.safetensors"])
        XCTAssertEqual(configuration.learningRates, [0.1, 0.05])
        XCTAssertEqual(configuration.methodOptions, ["temperature": 2])
        XCTAssertEqual(configuration.defaultRunName, "resnet20+resnet8-sokd")
        // config.json (what --resume reads) resolves to the same settings.
        let saved = try JSONSerialization.jsonObject(with: JSONSerialization.data(withJSONObject: configuration.json)) as? [String: Any]
        XCTAssertNil(saved?["model"], "online has no single model key")
        XCTAssertEqual(try OnlineConfiguration.resolve(file: saved, flags: [:], switches: []), configuration)
        let dml = try OnlineConfiguration.resolve(file: nil, flags: ["models": "plane2,plane2,plane4", "method": "dml"], switches: [])
        XCTAssertEqual(dml.models, ["plane2", "plane2", "plane4"])
    }

    func testMethodSpecificChecksNameTheProblem() {
        XCTAssert(message(flags: ["models": "plane2,plane4"]).contains("online needs --method dml|switokd|bdkd|sokd"))
        XCTAssert(message(flags: ["models": "plane2,plane4", "method": "kd"]).contains("unknown online method 'kd'"))
        XCTAssert(message(flags: ["method": "dml"]).contains("online needs --models"))
        XCTAssert(message(flags: ["models": "plane2", "method": "dml"]).contains("dml trains two or more networks"))
        XCTAssert(message(flags: ["models": "a,b,c", "method": "switokd"]).contains("switokd with three networks needs --topology"))
        XCTAssert(message(flags: ["models": "a,b,c,d", "method": "switokd"]).contains("switokd trains two networks (--models T,S) or three"))
        XCTAssert(message(flags: ["models": "a,b", "method": "switokd", "topology": "2t1s"]).contains("--topology 2t1s trains 3 networks"))
        XCTAssert(message(flags: ["models": "a,b,c", "method": "switokd", "topology": "3t"]).contains("topology must be 1t1s"))
        XCTAssert(message(flags: ["models": "a", "method": "bdkd"]).contains("bdkd trains exactly two networks"))
        XCTAssert(message(flags: ["models": "a,b,c", "method": "bdkd"]).contains("no form for more networks is published"))
        XCTAssert(message(flags: ["models": "resnet20,resnet8", "method": "sokd"]).contains("sokd needs the pretrained teacher's weights"))
        XCTAssert(message(flags: ["models": "a,b,c", "method": "sokd", "teacher-weights": "t"]).contains("exactly two"))
        XCTAssert(message(flags: ["models": "a,b", "method": "dml", "teacher-weights": "t"]).contains("teacher-weights applies to --method sokd only"))
        XCTAssert(message(flags: ["models": "a,b", "method": "dml", "temperature": "4"]).contains("temperature applies to --method sokd only"))
        XCTAssert(message(flags: ["models": "a,b", "method": "sokd", "teacher-weights": "t", "temperature": "0"]).contains("temperature must be positive"))
        XCTAssert(message(flags: ["models": "a,b", "method": "dml", "lrs": "0.1"]).contains("one learning rate per network"))
        XCTAssert(message(flags: ["models": "a,b", "method": "dml", "lrs": "0.1,x"]).contains("lrs must be learning rates"))
        XCTAssert(message(file: ["model": "plane2"], flags: ["models": "a,b", "method": "dml"]).contains("unknown key 'model' in the config file for 'online'"))
        XCTAssert(message(flags: ["models": "a,b", "method": "dml", "loss": "kd"]).contains("unknown option '--loss' for 'online'"))
        XCTAssertEqual(message(flags: ["models": "a,b", "method": "switokd", "lrs": "0.1,0.01"]), "no error")
    }

    /// `--topology` is kept as text, saved in config.json and read back.
    func testTopologyRoundTrips() throws {
        let configuration = try OnlineConfiguration.resolve(file: nil, flags: ["models": "a,b,c", "method": "switokd", "topology": "2t1s"],
                                                            switches: [])
        XCTAssertEqual(configuration.methodTextOptions, ["topology": "2t1s"])
        XCTAssertEqual(configuration.methodOptions, [:])
        let saved = try JSONSerialization.jsonObject(with: JSONSerialization.data(withJSONObject: configuration.json)) as? [String: Any]
        XCTAssertEqual(saved?["topology"] as? String, "2t1s")
        XCTAssertEqual(try OnlineConfiguration.resolve(file: saved, flags: [:], switches: []), configuration)
    }
}
