import XCTest
@testable import retort

/// `retort chain` and `retort sweep-teachers` settings: own keys, the stages' training settings
/// (checked as `train`/`distill` check them), and errors that name the key.
final class ChainConfigurationTests: XCTestCase {
    private func chainError(file: [String: Any]? = nil, flags: [String: String], switches: Set<String> = []) -> String {
        do {
            _ = try ChainConfiguration.resolve(file: file, flags: flags, switches: switches)
            return "no error"
        } catch { return error.description }
    }

    func testStagesGetTrainAndDistillConfigurationsFromOneSetOfSettings() throws {
        let file: [String: Any] = ["models": ["plane10", "plane6", "plane2"], "epochs": 4, "loss": "kd", "temperature": 5, "compare-direct": true,
                                   "limit": 256]
        let chain = try ChainConfiguration.resolve(file: file, flags: ["lr": "0.02", "ce-weight": "0.5", "seed": "7"], switches: ["nesterov"])
        XCTAssertEqual(chain.models, ["plane10", "plane6", "plane2"])
        XCTAssertEqual(chain.assistants, .listed)
        XCTAssertTrue(chain.comparesDirect)
        XCTAssertEqual(chain.epochs, 4)
        let folder = URL(fileURLWithPath: "/tmp/chain/0-plane10")
        let teacher = try chain.settings.teacher(model: "plane10", run: folder)
        XCTAssertEqual(teacher.command, .train)
        XCTAssertEqual(teacher.model, "plane10")
        XCTAssertEqual(teacher.out, folder.path)
        XCTAssertEqual([teacher.epochs, teacher.seed, teacher.limit], [4, 7, 256])
        XCTAssertEqual(teacher.learningRate, 0.02)
        XCTAssertTrue(teacher.nesterov)
        XCTAssertTrue(teacher.methodOptions.isEmpty, "the teacher trains with cross-entropy alone")
        let student = try chain.settings.student(model: "plane6", teacher: "plane10", weights: "/tmp/chain/0-plane10/best.safetensors",
                                                 run: URL(fileURLWithPath: "/tmp/chain/1-plane6"))
        XCTAssertEqual(student.command, .distill)
        XCTAssertEqual(student.model, "plane6")
        XCTAssertEqual(student.teachers, ["plane10"])
        XCTAssertEqual(student.teacherWeights, ["/tmp/chain/0-plane10/best.safetensors"])
        XCTAssertEqual(student.method, "kd")
        XCTAssertEqual(student.methodOptions, ["temperature": 5, "ce-weight": 0.5])
        XCTAssertEqual([student.epochs, student.seed, student.limit], [4, 7, 256])
        // The chain folder's config.json resolves back to the same chain (what --resume reads).
        let saved = try JSONSerialization.jsonObject(with: JSONSerialization.data(withJSONObject: chain.json)) as? [String: Any]
        let again = try ChainConfiguration.resolve(file: saved, flags: [:], switches: [])
        XCTAssertEqual(again.models, chain.models)
        XCTAssertEqual(again.comparesDirect, true)
        XCTAssertEqual(try again.settings.student(model: "plane6", teacher: "plane10", weights: "/tmp/chain/0-plane10/best.safetensors",
                                                  run: URL(fileURLWithPath: "/tmp/chain/1-plane6")), student)
    }

    func testAssistantsForms() throws {
        func assistants(_ text: String) throws -> ChainConfiguration.Assistants {
            try ChainConfiguration.resolve(file: nil, flags: ["models": "plane10,plane2", "assistants": text], switches: []).assistants
        }
        XCTAssertEqual(try assistants("auto"), .automatic(1))
        XCTAssertEqual(try assistants("auto:2"), .automatic(2))
        XCTAssertEqual(try assistants("3"), .automatic(3))
        XCTAssertEqual(try assistants("plane8,plane4"), .named(["plane8", "plane4"]))
        XCTAssertEqual(try ChainCommand.chainModels(ChainConfiguration.resolve(file: nil, flags: ["models": "plane10,plane2", "assistants": "plane6"],
                                                                               switches: []),
                                                    parameterCount: { _ in 0 }, log: { _ in }), ["plane10", "plane6", "plane2"])
        XCTAssert(chainError(flags: ["models": "plane10,plane6,plane2", "assistants": "auto"]).contains("--assistants takes --models TEACHER,STUDENT"))
        XCTAssert(chainError(flags: ["models": "plane10,plane2", "assistants": "auto:0"]).contains("assistants must be auto, auto:N or N"))
        XCTAssert(chainError(flags: ["models": "plane10,plane2", "assistants": "plane7"]).contains("unknown model 'plane7'"))
    }

    func testChainErrorsNameTheKey() {
        XCTAssert(chainError(flags: ["models": "plane10"]).contains("chain needs --models"))
        XCTAssert(chainError(flags: [:]).contains("chain needs --models"))
        XCTAssert(chainError(flags: ["models": "plane10,plane11"]).contains("unknown model 'plane11'"))
        XCTAssertEqual(try ChainConfiguration.resolve(file: nil, flags: ["models": "plane2,plane2,plane2"], switches: []).models,
                       ["plane2", "plane2", "plane2"], "a born-again sequence repeats one model")
        XCTAssert(chainError(file: ["models": "plane6,plane2", "learning_rate": 0.1], flags: [:]).contains("unknown key 'learning_rate' in the config file for 'chain'"))
        XCTAssert(chainError(flags: ["models": "plane6,plane2", "student": "plane2"]).contains("unknown option '--student' for 'chain'"))
        XCTAssert(chainError(flags: ["models": "plane6,plane2", "epochs": "0"]).contains("epochs must be an integer"))
        XCTAssert(chainError(flags: ["models": "plane6,plane2", "loss": "fitnet"]).contains("unknown loss 'fitnet'"))
        XCTAssert(chainError(flags: ["models": "plane6,plane2", "dkd-beta": "8"]).contains("dkd-beta does not apply to kd"))
        XCTAssert(chainError(file: ["models": "plane6,plane2", "compare-direct": "maybe"], flags: [:]).contains("compare-direct must be true or false"))
    }

    func testSweepTakesTheTeacherAndDataFromTheRun() throws {
        let run: [String: Any] = ["model": "plane6", "dataset": "mnist", "limit": 512, "epochs": 30, "lr": 0.1]
        let sweep = try SweepConfiguration.resolve(file: nil, flags: ["run": "runs/t", "student": "plane2", "epochs": "2", "loss": "dkd"],
                                                   switches: [], runConfiguration: { path in
            XCTAssertEqual(path, "runs/t")
            return run
        })
        XCTAssertEqual(sweep.teacher, "plane6")
        XCTAssertEqual(sweep.student, "plane2")
        XCTAssertEqual(sweep.epochs, 2, "the students' budget, not the teacher's")
        let student = try sweep.settings.student(model: "plane2", teacher: "plane6", weights: "runs/t/epoch-3.safetensors",
                                                 run: URL(fileURLWithPath: "out/from-epoch-3"))
        XCTAssertEqual(student.dataset, "mnist")
        XCTAssertEqual(student.limit, 512)
        XCTAssertEqual(student.learningRate, 0.05, "the teacher's lr is not the students'")
        XCTAssertEqual(student.method, "dkd")
        XCTAssertEqual(sweep.defaultDirectory, "runs/sweep-plane2-from-t")
        let limited = try SweepConfiguration.resolve(file: nil, flags: ["run": "r", "student": "plane2", "limit": "64"], switches: [],
                                                     runConfiguration: { _ in run })
        XCTAssertEqual(try limited.settings.student(model: "plane2", teacher: "plane6", weights: "w", run: URL(fileURLWithPath: "o")).limit, 64)

        func sweepError(_ flags: [String: String], file: [String: Any]? = nil) -> String {
            do {
                _ = try SweepConfiguration.resolve(file: file, flags: flags, switches: [], runConfiguration: { _ in run })
                return "no error"
            } catch { return "\(error)" }
        }
        XCTAssert(sweepError(["student": "plane2"]).contains("sweep-teachers needs --run"))
        XCTAssert(sweepError(["run": "r"]).contains("sweep-teachers needs --student"))
        XCTAssert(sweepError(["run": "r", "student": "plane2"], file: ["dataset": "cifar10"]).contains("teacher run's dataset"))
        XCTAssert(sweepError(["run": "r", "student": "plane2"], file: ["models": "x"]).contains("unknown key 'models' in the config file for 'sweep-teachers'"))
    }
}
