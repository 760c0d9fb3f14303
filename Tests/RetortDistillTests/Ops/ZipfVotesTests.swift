import Foundation
import XCTest
import Retort
import RetortDistill
import RetortTestSupport

/// Zipf's dense votes against the host: the position rows (channels last) with and without PyTorch's
/// ×2 bilinear upsampling, and the per-sample counts of per-position arg-maxes.
final class ZipfVotesTests: ContextTestCase {
    func testPositionRowsMatchTheHost() throws {
        var generator = SplitMix64(seed: 4)
        for (shape, upsampled) in [([2, 3, 4, 5], false), ([2, 3, 4, 5], true), ([1, 2, 1, 3], true), ([3, 70, 7, 7], true)] {
            let map = generator.floats(shape.reduce(1, *), in: -2...2)
            let rows = try tensor(map, shape).zipfVotePositions(upsampled: upsampled)
            let scale = upsampled ? 2 : 1
            XCTAssertEqual(rows.shape, [shape[0] * shape[2] * shape[3] * scale * scale, shape[1]])
            let expected = ZipfOracle.positions(map, shape, upsampled: upsampled).flatMap { $0 }
            XCTAssertLessThan(maxRelativeError(try rows.toArray(), expected), 1e-6, "\(shape) upsampled \(upsampled)")
        }
        // Upsampling a constant plane keeps it; at the border the source clamps to the edge.
        let constant = try tensor([Float](repeating: 3, count: 6), [1, 1, 2, 3]).zipfVotePositions(upsampled: true).toArray()
        XCTAssertEqual(constant, [Float](repeating: 3, count: 24))
        XCTAssertThrowsError(try tensor([1, 2], [1, 2]).zipfVotePositions(upsampled: false))
    }

    func testVotesCountEachSamplesArgmaxes() throws {
        // 2 samples × 3 positions × 4 classes; sample 1's last position ties classes 1 and 3: class 1 wins.
        let logits: [Float] = [0, 5, 1, 2,   9, 0, 0, 0,   0, 5, 1, 2,
                               1, 1, 1, 0,   0, 2, 0, 2,   0, 0, 0, 7]
        let votes = try tensor(logits, [6, 4]).zipfVotes(samples: 2).toArray()
        XCTAssertEqual(votes, [1, 2, 0, 0,
                               1, 1, 0, 1])
        var generator = SplitMix64(seed: 9)
        let many = generator.floats(5 * 37 * 11, in: -3...3)
        let rows = (0..<(5 * 37)).map { r in many[(r * 11)..<((r + 1) * 11)].map(Double.init) }
        XCTAssertEqual(try tensor(many, [5 * 37, 11]).zipfVotes(samples: 5).toArray().map(Double.init),
                       ZipfOracle.votes(rows, samples: 5).flatMap { $0 })
        XCTAssertThrowsError(try tensor(logits, [6, 4]).zipfVotes(samples: 4))
    }
}
