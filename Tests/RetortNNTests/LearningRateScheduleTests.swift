import Foundation
import XCTest
@testable import RetortNN
import RetortHostTestSupport
import RetortTestSupport

/// Expected values are PyTorch's, written out from `torch.optim.lr_scheduler`'s formulas for a
/// loop that calls `scheduler.step()` once at the end of each epoch (epoch = `last_epoch`).
final class LearningRateScheduleTests: XCTestCase {
    func testMultiStepMatchesTheCIFARDistillationRecipe() throws {
        // MultiStepLR(opt, milestones=[150, 180, 210], gamma=0.1), lr = 0.05, 240 epochs.
        let schedule = try MultiStepSchedule(baseLearningRate: 0.05, milestones: [150, 180, 210], gamma: 0.1)
        let rates = schedule.learningRates(epochs: 240)
        for epoch in 0..<240 {
            let expected = epoch < 150 ? 0.05 : epoch < 180 ? 0.005 : epoch < 210 ? 0.0005 : 0.00005
            assertClose(rates[epoch], expected, "at epoch \(epoch)")
        }
        // Epoch-based: the step within the epoch does not matter.
        assertClose(schedule.learningRate(epoch: 149, step: 390, stepsPerEpoch: 391), 0.05)
        assertClose(schedule.learningRate(epoch: 150, step: 0, stepsPerEpoch: 391), 0.005)
        XCTAssertEqual(schedule.description, "multistep(lr=0.05, milestones=[150, 180, 210], gamma=0.1)")
    }

    func testMultiStepSortsMilestonesAndCountsRepeats() throws {
        let schedule = try MultiStepSchedule(baseLearningRate: 1, milestones: [20, 10, 10], gamma: 0.5)
        XCTAssertEqual(schedule.milestones, [10, 10, 20])
        assertClose(schedule.learningRate(epoch: 9), 1)
        assertClose(schedule.learningRate(epoch: 10), 0.25)
        assertClose(schedule.learningRate(epoch: 20), 0.125)
    }

    func testStepMatchesStepLR() throws {
        // StepLR(opt, step_size=30, gamma=0.1), lr = 0.05: 0.05 below 30, 0.005 below 60, 0.0005 below 90.
        let schedule = try StepSchedule(baseLearningRate: 0.05, stepSize: 30, gamma: 0.1)
        for epoch in 0..<100 {
            let expected = epoch < 30 ? 0.05 : epoch < 60 ? 0.005 : epoch < 90 ? 0.0005 : 0.00005
            assertClose(schedule.learningRate(epoch: epoch), expected, "at epoch \(epoch)")
        }
    }

    func testCosineMatchesTheClosedForm() throws {
        // CosineAnnealingLR(opt, T_max=200, eta_min=0), lr = 0.1.
        let schedule = try CosineAnnealingSchedule(baseLearningRate: 0.1, annealingEpochs: 200)
        assertClose(schedule.learningRate(epoch: 0), 0.1)
        assertClose(schedule.learningRate(epoch: 50), 0.1 * (1 + 0.5.squareRoot()) / 2)  // cos(π/4) = √½
        assertClose(schedule.learningRate(epoch: 50), 0.08535533905932738)
        assertClose(schedule.learningRate(epoch: 100), 0.05)
        assertClose(schedule.learningRate(epoch: 150), 0.014644660940672627)
        XCTAssertLessThanOrEqual(abs(schedule.learningRate(epoch: 200)), 1e-17)
        // The closed form keeps going past T_max: the rate rises again.
        assertClose(schedule.learningRate(epoch: 300), 0.05, relative: 1e-9)

        let floored = try CosineAnnealingSchedule(baseLearningRate: 0.1, annealingEpochs: 200, minimumLearningRate: 0.001)
        assertClose(floored.learningRate(epoch: 0), 0.1)
        assertClose(floored.learningRate(epoch: 100), 0.0505)
        assertClose(floored.learningRate(epoch: 200), 0.001)
    }

    func testCosinePerStepAnnealsWithinTheEpoch() throws {
        // CosineAnnealingLR(opt, T_max=2·4) stepped every iteration, 4 iterations per epoch.
        let schedule = try CosineAnnealingSchedule(baseLearningRate: 1, annealingEpochs: 2, perStep: true)
        assertClose(schedule.learningRate(epoch: 0, step: 0, stepsPerEpoch: 4), 1)
        assertClose(schedule.learningRate(epoch: 0, step: 2, stepsPerEpoch: 4), 0.8535533905932737)
        assertClose(schedule.learningRate(epoch: 1, step: 0, stepsPerEpoch: 4), 0.5)
        assertClose(schedule.learningRate(epoch: 1, step: 2, stepsPerEpoch: 4), 0.14644660940672627)
        // At step 0 a per-step schedule gives its per-epoch value.
        let perEpoch = try CosineAnnealingSchedule(baseLearningRate: 1, annealingEpochs: 2)
        assertClose(schedule.learningRate(epoch: 1, step: 0, stepsPerEpoch: 4), perEpoch.learningRate(epoch: 1))
        // An epoch-based cosine holds its value through the epoch.
        assertClose(perEpoch.learningRate(epoch: 0, step: 3, stepsPerEpoch: 4), 1)
    }

    func testConstant() throws {
        let schedule = try ConstantSchedule(learningRate: 0.01)
        XCTAssertEqual(schedule.learningRates(epochs: 3), [0.01, 0.01, 0.01])
        XCTAssertEqual(schedule.learningRate(epoch: 7, step: 5, stepsPerEpoch: 10), 0.01)
    }

    func testWarmupPerEpochMatchesLinearLRThenSequentialLR() throws {
        // LinearLR(opt, start_factor=0.1, total_iters=5) then MultiStepLR(opt, [150, 180]) via
        // SequentialLR(milestones=[5]); lr = 0.1: lr(e) = 0.1·(0.1 + 0.9·e/5) for e < 5, then the
        // multi-step schedule from its own epoch 0, so the drops land at 155 and 185.
        let main = try MultiStepSchedule(baseLearningRate: 0.1, milestones: [150, 180])
        let schedule = try LinearWarmupSchedule(wrapping: main, epochs: 5, startFactor: 0.1, perStep: false)
        let expected: [Double] = [0.01, 0.028, 0.046, 0.064, 0.082, 0.1, 0.1]
        for (epoch, rate) in expected.enumerated() {
            assertClose(schedule.learningRate(epoch: epoch), rate, "at epoch \(epoch)")
        }
        assertClose(schedule.learningRate(epoch: 154), 0.1)
        assertClose(schedule.learningRate(epoch: 155), 0.01)
        assertClose(schedule.learningRate(epoch: 184), 0.01)
        assertClose(schedule.learningRate(epoch: 185), 0.001)
        // Per epoch: the ramp holds through the epoch.
        assertClose(schedule.learningRate(epoch: 2, step: 9, stepsPerEpoch: 10), 0.046)
        XCTAssertEqual(schedule.baseLearningRate, 0.1)
    }

    func testWarmupPerStepRampsEveryIteration() throws {
        // LinearLR(opt, start_factor=0.1, total_iters=5·10) stepped every iteration, 10 per epoch.
        let main = try ConstantSchedule(learningRate: 0.1)
        let schedule = try LinearWarmupSchedule(wrapping: main, epochs: 5, startFactor: 0.1)
        XCTAssertTrue(schedule.perStep)
        assertClose(schedule.learningRate(epoch: 0, step: 0, stepsPerEpoch: 10), 0.01)
        assertClose(schedule.learningRate(epoch: 0, step: 1, stepsPerEpoch: 10), 0.1 * (0.1 + 0.9 * 1 / 50))
        assertClose(schedule.learningRate(epoch: 2, step: 5, stepsPerEpoch: 10), 0.055)
        assertClose(schedule.learningRate(epoch: 4, step: 9, stepsPerEpoch: 10), 0.0982)
        assertClose(schedule.learningRate(epoch: 5, step: 0, stepsPerEpoch: 10), 0.1)
        // At step 0 the per-step ramp equals the per-epoch one.
        for epoch in 0..<5 {
            assertClose(schedule.learningRate(epoch: epoch, step: 0, stepsPerEpoch: 10),
                        try LinearWarmupSchedule(wrapping: main, epochs: 5, startFactor: 0.1, perStep: false).learningRate(epoch: epoch))
        }
        // Strictly increasing through the warm-up.
        let ramp = (0..<50).map { schedule.learningRate(epoch: $0 / 10, step: $0 % 10, stepsPerEpoch: 10) }
        XCTAssert(zip(ramp, ramp.dropFirst()).allSatisfy { $0 < $1 })
    }

    func testWarmupThenCosineStartsTheCosineAfterTheWarmup() throws {
        let cosine = try CosineAnnealingSchedule(baseLearningRate: 0.1, annealingEpochs: 200)
        let schedule = try LinearWarmupSchedule(wrapping: cosine, epochs: 5)
        assertClose(schedule.learningRate(epoch: 0), 0.1 / 3)  // PyTorch's default start_factor 1/3
        assertClose(schedule.learningRate(epoch: 5), 0.1)
        assertClose(schedule.learningRate(epoch: 105), 0.05)
        XCTAssertLessThanOrEqual(abs(schedule.learningRate(epoch: 205)), 1e-17)
    }

    func testConstantWarmupThenStepReproducesTheMultiStepRecipe() throws {
        // DIST's CIFAR schedule: 120 warm-up epochs at the full rate, then StepLR(30) — the same
        // drops as milestones [150, 180, 210].
        let step = try StepSchedule(baseLearningRate: 0.05, stepSize: 30)
        let warmup = try LinearWarmupSchedule(wrapping: step, epochs: 120, startFactor: 1, perStep: false)
        let multistep = try MultiStepSchedule(baseLearningRate: 0.05, milestones: [150, 180, 210])
        for epoch in 0..<240 {
            assertClose(warmup.learningRate(epoch: epoch), multistep.learningRate(epoch: epoch), "at epoch \(epoch)")
        }
    }

    func testZeroWarmupIsTheWrappedSchedule() throws {
        let main = try StepSchedule(baseLearningRate: 0.1, stepSize: 2)
        let schedule = try LinearWarmupSchedule(wrapping: main, epochs: 0)
        XCTAssertEqual(schedule.learningRates(epochs: 6), main.learningRates(epochs: 6))
    }

    func testInvalidParametersThrow() {
        assertThrows(LearningRateScheduleError.invalidOption(option: "step-size", value: "0", expected: "a positive number of epochs")) {
            () throws(LearningRateScheduleError) in try StepSchedule(baseLearningRate: 0.1, stepSize: 0)
        }
        assertThrows(LearningRateScheduleError.invalidOption(option: "t-max", value: "0", expected: "a positive number of epochs")) {
            () throws(LearningRateScheduleError) in try CosineAnnealingSchedule(baseLearningRate: 0.1, annealingEpochs: 0)
        }
        assertThrows(LearningRateScheduleError.invalidOption(option: "milestones", value: "-1", expected: "non-negative epochs")) {
            () throws(LearningRateScheduleError) in try MultiStepSchedule(baseLearningRate: 0.1, milestones: [-1])
        }
        assertThrows(LearningRateScheduleError.invalidOption(option: "gamma", value: "0.0", expected: "a finite positive factor")) {
            () throws(LearningRateScheduleError) in try MultiStepSchedule(baseLearningRate: 0.1, milestones: [1], gamma: 0)
        }
        assertThrows(LearningRateScheduleError.invalidOption(option: "lr", value: "-0.1", expected: "a finite non-negative number")) {
            () throws(LearningRateScheduleError) in try ConstantSchedule(learningRate: -0.1)
        }
        assertThrows(LearningRateScheduleError.invalidOption(option: "warmup-start-factor", value: "0.0", expected: "a factor in (0, 1]")) {
            () throws(LearningRateScheduleError) in try LinearWarmupSchedule(wrapping: ConstantSchedule(learningRate: 1), epochs: 1, startFactor: 0)
        }
    }
}
