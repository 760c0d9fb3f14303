import XCTest
@testable import RetortDistill

/// The run state an online checkpoint carries: the running sums come back exactly, an older
/// epoch-end checkpoint still reads, and a damaged one is refused.
final class OnlineResumePointTests: XCTestCase {
    func testRunStateRoundTripsExactly() throws {
        let point = OnlineResumePoint(epoch: 3, step: 7, lossSums: [0.1 + 0.2, 1e-300, 12345.678901234567], lossSeen: [96, 64, 96],
                                      correct: [40, 21, 55], updates: [3, 2, 3], seen: 96, counters: ["expert_steps": 2, "switches": 1],
                                      modes: ["expert"])
        XCTAssertEqual(OnlineResumePoint(runState: point.runState, networks: 3), point)
    }

    func testAnEpochEndCheckpointWithoutSumsStartsThatEpoch() throws {
        let point = try XCTUnwrap(OnlineResumePoint(runState: ["epoch": "2", "mode": "learning"], networks: 2))
        XCTAssertEqual([point.epoch, point.step, point.seen], [2, 0, 0])
        XCTAssertEqual(point.lossSums, [0, 0])
        XCTAssertEqual(point.modes, ["learning"])
    }

    func testDamagedStateIsRefused() {
        XCTAssertNil(OnlineResumePoint(runState: ["step": "3"], networks: 2), "no epoch")
        XCTAssertNil(OnlineResumePoint(runState: ["epoch": "1", "loss_sums": "0.5"], networks: 2), "one sum for two networks")
        XCTAssertNil(OnlineResumePoint(runState: ["epoch": "1", "counters": "switches"], networks: 2), "a counter without its value")
    }

    func testModeRowsBeforeThePointAreKept() {
        let point = OnlineResumePoint(epoch: 1, step: 2)  // epoch 2 (1-based), two steps done
        XCTAssert(point.precedes(rowEpoch: 1, rowStep: 3))
        XCTAssert(point.precedes(rowEpoch: 2, rowStep: 2))
        XCTAssertFalse(point.precedes(rowEpoch: 2, rowStep: 3))
        XCTAssertFalse(point.precedes(rowEpoch: 3, rowStep: 1))
    }
}
