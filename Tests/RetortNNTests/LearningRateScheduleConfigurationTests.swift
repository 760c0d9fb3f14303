import Foundation
import XCTest
@testable import RetortNN
import RetortHostTestSupport
import RetortTestSupport

final class LearningRateScheduleConfigurationTests: XCTestCase {
    private func schedule(_ name: String, _ options: [String: String] = [:], lr: Double = 0.05,
                          epochs: Int = 240) throws -> any LearningRateSchedule {
        try LearningRateScheduleConfiguration(schedule: name, options: options).makeSchedule(baseLearningRate: lr, epochs: epochs)
    }

    func testMultiStepFromOptions() throws {
        let parsed = try LearningRateScheduleConfiguration(schedule: "multistep", options: ["milestones": "150,180,210"])
        XCTAssertEqual(parsed, LearningRateScheduleConfiguration(kind: .multistep, milestones: [150, 180, 210]))
        let built = try schedule("MultiStep", ["milestones": "[150, 180, 210]", "gamma": "0.1"])
        XCTAssertEqual(built.description, "multistep(lr=0.05, milestones=[150, 180, 210], gamma=0.1)")
        assertClose(built.learningRate(epoch: 149), 0.05)
        assertClose(built.learningRate(epoch: 150), 0.005)
    }

    func testStepCosineAndConstantFromOptions() throws {
        let step = try schedule("step", ["step-size": "30", "gamma": "0.5"], lr: 0.1)
        assertClose(step.learningRate(epoch: 30), 0.05)
        XCTAssertEqual(step.description, "step(lr=0.1, step-size=30, gamma=0.5)")

        let cosine = try schedule("cosine", ["eta-min": "1e-6"], lr: 0.1, epochs: 200)
        XCTAssertEqual(cosine.description, "cosine(lr=0.1, t-max=200, eta-min=1e-06)")
        assertClose(cosine.learningRate(epoch: 200), 1e-6)

        let perStep = try schedule("cosine", ["t-max": "10", "cosine-per-step": "true"], lr: 1)
        assertClose(perStep.learningRate(epoch: 2, step: 5, stepsPerEpoch: 10), 0.8535533905932737)  // t = 25 of 100
        assertClose(perStep.learningRate(epoch: 5, step: 0, stepsPerEpoch: 10), 0.5)

        XCTAssertEqual(try schedule("constant", lr: 0.01).learningRates(epochs: 2), [0.01, 0.01])
    }

    func testWarmupWrapsTheScheduleAndShortensTheDefaultCosine() throws {
        let warm = try schedule("cosine", ["warmup-epochs": "5", "warmup-start-factor": "0.1"], lr: 0.1, epochs: 205)
        let warmup = try XCTUnwrap(warm as? LinearWarmupSchedule)
        XCTAssertEqual(warmup.epochs, 5)
        XCTAssertTrue(warmup.perStep)
        XCTAssertEqual((warmup.wrapped as? CosineAnnealingSchedule)?.annealingEpochs, 200)
        XCTAssertEqual(warm.description, "warmup(epochs=5, start-factor=0.1, per step) then cosine(lr=0.1, t-max=200, eta-min=0)")
        assertClose(warm.learningRate(epoch: 0), 0.01)
        assertClose(warm.learningRate(epoch: 105), 0.05)

        let perEpoch = try schedule("multistep", ["milestones": "150", "warmup-epochs": "2", "warmup-per-step": "false"], lr: 0.1)
        assertClose(perEpoch.learningRate(epoch: 1, step: 9, stepsPerEpoch: 10), 0.1 * (1.0 / 3 + 2.0 / 3 * 0.5))
        assertClose(perEpoch.learningRate(epoch: 152), 0.01)
    }

    func testOptionErrorsNameTheOption() {
        func rejects(_ name: String, _ options: [String: String] = [:], expecting expected: LearningRateScheduleError,
                     file: StaticString = #filePath, line: UInt = #line) {
            assertThrows(expected, file: file, line: line) { () throws(LearningRateScheduleError) in
                try LearningRateScheduleConfiguration(schedule: name, options: options).makeSchedule(baseLearningRate: 0.1, epochs: 10)
            }
        }
        rejects("poly", expecting: .unknownSchedule("poly"))
        rejects("multistep", expecting: .missingOption(schedule: "multistep", option: "milestones"))
        rejects("step", expecting: .missingOption(schedule: "step", option: "step-size"))
        rejects("multistep", ["milestones": "150,x"], expecting: .invalidOption(option: "milestones", value: "150,x", expected: "integers separated by commas, e.g. 150,180,210"))
        rejects("multistep", ["milestones": ""], expecting: .invalidOption(option: "milestones", value: "", expected: "integers separated by commas, e.g. 150,180,210"))
        rejects("step", ["step-size": "ten"], expecting: .invalidOption(option: "step-size", value: "ten", expected: "an integer"))
        rejects("step", ["step-size": "0"], expecting: .invalidOption(option: "step-size", value: "0", expected: "a positive number of epochs"))
        rejects("step", ["step-size": "3", "gamma": "nan"], expecting: .invalidOption(option: "gamma", value: "nan", expected: "a finite number"))
        rejects("cosine", ["step-size": "3"], expecting: .inapplicableOption(schedule: "cosine", option: "step-size"))
        rejects("constant", ["milestones": "3"], expecting: .inapplicableOption(schedule: "constant", option: "milestones"))
        rejects("cosine", ["warmup": "3"], expecting: .unknownOption("warmup"))
        rejects("cosine", ["warmup-per-step": "maybe"], expecting: .invalidOption(option: "warmup-per-step", value: "maybe", expected: "true or false"))
        rejects("cosine", ["warmup-epochs": "10"], expecting: .invalidOption(option: "warmup-epochs", value: "10",
                                                               expected: "fewer than the 10 epochs of the run when 't-max' is not given"))
        rejects("constant", ["warmup-epochs": "-1"], expecting: .invalidOption(option: "warmup-epochs", value: "-1", expected: "a non-negative number of epochs"))
        rejects("constant", ["warmup-epochs": "1", "warmup-start-factor": "1.5"], expecting: .invalidOption(option: "warmup-start-factor", value: "1.5", expected: "a factor in (0, 1]"))
        XCTAssert(LearningRateScheduleError.unknownSchedule("poly").description.contains("constant, multistep, step, cosine"))
    }

    func testJSONRoundTripAndDefaults() throws {
        let json = #"{"schedule": "cosine", "eta-min": 1e-6, "warmup-epochs": 5}"#
        let decoded = try JSONDecoder().decode(LearningRateScheduleConfiguration.self, from: Data(json.utf8))
        XCTAssertEqual(decoded, LearningRateScheduleConfiguration(kind: .cosine, minimumLearningRate: 1e-6, warmupEpochs: 5))
        let encoded = try JSONEncoder().encode(decoded)
        XCTAssertEqual(try JSONDecoder().decode(LearningRateScheduleConfiguration.self, from: encoded), decoded)
        let text = String(decoding: encoded, as: UTF8.self)
        XCTAssert(text.contains(#""schedule":"cosine""#) && text.contains(#""warmup-epochs":5"#), text)

        let multistep = try JSONDecoder().decode(LearningRateScheduleConfiguration.self,
                                                 from: Data(#"{"schedule": "multistep", "milestones": [150, 180, 210]}"#.utf8))
        assertClose(try multistep.makeSchedule(baseLearningRate: 0.05, epochs: 240).learningRate(epoch: 210), 0.00005)

        XCTAssertThrowsError(try JSONDecoder().decode(LearningRateScheduleConfiguration.self, from: Data(#"{"schedule": "poly"}"#.utf8)))
    }
}
