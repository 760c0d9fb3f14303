import XCTest
import Retort
import RetortTestSupport

/// Concatenation, slices and splits (with channel shuffles) against finite differences and known values.
final class ConcatenationTests: ContextTestCase {
    private var random = SplitMix64(seed: 17)

    func testConcatenationSliceSplitAndChannelShuffle() throws {
        // Channel concatenation of NCHW tensors (and along other axes), with both inputs getting gradients.
        try checkGradients([(random.floats(2 * 3 * 2 * 2), [2, 3, 2, 2]), (random.floats(2 * 2 * 2 * 2), [2, 2, 2, 2])]) { t in
            try weightedSum(try Tensor.concatenated([t[0], t[1].relu(), t[0]], along: 1), seed: 12)
        }
        try checkGradients([(random.floats(3 * 4), [3, 4]), (random.floats(2 * 4), [2, 4])]) { t in
            try weightedSum(try Tensor.concatenated([t[1], t[0]], along: 0) * 2, seed: 13)
        }
        try checkGradients([(random.floats(3 * 4), [3, 4]), (random.floats(3 * 1), [3, 1])]) { t in
            try weightedSum(try Tensor.concatenated([t[0], t[1]], along: -1), seed: 14)
        }
        // Slices and a split whose parts are used unevenly (one twice, one not at all).
        let x = random.floats(2 * 7 * 3 * 2)
        try checkGradients([(x, [2, 7, 3, 2])]) { t in try weightedSum(try t[0].sliced(2..<5, along: 1), seed: 15) }
        try checkGradients([(x, [2, 7, 3, 2])]) { t in
            let parts = try t[0].split([3, 1, 3], along: 1)
            return try weightedSum(try Tensor.concatenated([parts[2], parts[0], parts[2]], along: 1), seed: 16)
        }
        // Channel shuffles (ShuffleNet's 2 and 3 groups, and the trivial 1), composed with a slice.
        for groups in [1, 2, 3] {
            try checkGradients([(random.floats(2 * 6 * 2 * 3), [2, 6, 2, 3])]) { t in
                try weightedSum(try t[0].channelShuffled(groups: groups).sliced(1..<6, along: 1), seed: 17)
            }
        }
    }

    func testConcatenationSliceAndShuffleValuesAndErrors() throws {
        let a = try tensor([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2, 1]), b = try tensor([9, 10, 11, 12], [2, 1, 2, 1])
        XCTAssertEqual(try Tensor.concatenated([a, b], along: 1).toArray(), [1, 2, 3, 4, 9, 10, 5, 6, 7, 8, 11, 12])
        XCTAssertEqual(try Tensor.concatenated([a, b], along: 1).shape, [2, 3, 2, 1])
        XCTAssertEqual(try a.sliced(1..<2, along: 1).toArray(), [3, 4, 7, 8])
        XCTAssertEqual(try a.split([1, 1], along: 1).map { try $0.toArray() }, [[1, 2, 5, 6], [3, 4, 7, 8]])
        // Channels [c0 c1 c2 c3 c4 c5] in 2 groups → [c0 c3 c1 c4 c2 c5].
        let channels = try tensor([0, 1, 2, 3, 4, 5], [1, 6, 1, 1])
        XCTAssertEqual(try channels.channelShuffled(groups: 2).toArray(), [0, 3, 1, 4, 2, 5])
        XCTAssertEqual(try channels.channelShuffled(groups: 3).toArray(), [0, 2, 4, 1, 3, 5])
        XCTAssertThrowsError(try Tensor.concatenated([a, try tensor([1, 2, 3], [1, 3, 1, 1])], along: 1)) {
            XCTAssertEqual("\($0)", "concatenate along 1: shapes [2, 2, 2, 1] and [1, 3, 1, 1] do not match.")
        }
        XCTAssertThrowsError(try Tensor.concatenated([], along: 0))
        XCTAssertThrowsError(try a.sliced(1..<3, along: 1)) { XCTAssert("\($0)".contains("slice 1..<3 along 1"), "\($0)") }
        XCTAssertThrowsError(try a.sliced(0..<1, along: 4)) { XCTAssert("\($0)".contains("an axis in -4..<4"), "\($0)") }
        XCTAssertThrowsError(try a.split([1, 2], along: 1)) { XCTAssert("\($0)".contains("sizes adding up to 2"), "\($0)") }
        XCTAssertThrowsError(try channels.channelShuffled(groups: 4)) { XCTAssert("\($0)".contains("channelShuffle (groups 4)"), "\($0)") }
    }
}
