import Foundation
import XCTest
import Retort
import RetortDistill
import RetortTestSupport

/// Zipf's dense votes against the host: the position rows (channels last) with and without PyTorch's
/// ×2 bilinear upsampling, and the per-sample counts of per-position arg-maxes.
final class ZipfVotesTests: ContextTestCase {
    /// `F.interpolate(x, scale_factor=2, mode='bilinear', align_corners=False)` at (y, x) of one plane.
    static func bilinear(_ plane: [Double], height: Int, width: Int, y: Int, x: Int) -> Double {
        func source(_ o: Int, _ size: Int) -> (Int, Int, Double) {
            let s = max((Double(o) + 0.5) / 2 - 0.5, 0)
            let i0 = Int(s.rounded(.down))
            return (i0, min(i0 + 1, size - 1), s - Double(i0))
        }
        let (y0, y1, ly) = source(y, height), (x0, x1, lx) = source(x, width)
        let top = (1 - lx) * plane[y0 * width + x0] + lx * plane[y0 * width + x1]
        let bottom = (1 - lx) * plane[y1 * width + x0] + lx * plane[y1 * width + x1]
        return (1 - ly) * top + ly * bottom
    }

    /// Rows `[N·H'·W', D]` of a `[N, D, H, W]` map, on the host.
    static func positions(_ map: [Float], _ shape: [Int], upsampled: Bool) -> [[Double]] {
        let (batch, channels, height, width) = (shape[0], shape[1], shape[2], shape[3])
        let scale = upsampled ? 2 : 1
        var rows: [[Double]] = []
        for n in 0..<batch {
            for y in 0..<(height * scale) {
                for x in 0..<(width * scale) {
                    rows.append((0..<channels).map { d in
                        let plane = map[((n * channels + d) * height * width)..<((n * channels + d + 1) * height * width)].map(Double.init)
                        return upsampled ? Self.bilinear(plane, height: height, width: width, y: y, x: x) : plane[y * width + x]
                    })
                }
            }
        }
        return rows
    }

    /// Votes `[samples][C]` from per-position logits rows, first maximum winning.
    static func votes(_ logits: [[Double]], samples: Int) -> [[Double]] {
        let positions = logits.count / samples, classes = logits[0].count
        return (0..<samples).map { n in
            var counts = [Double](repeating: 0, count: classes)
            for row in logits[(n * positions)..<((n + 1) * positions)] { counts[row.firstIndex(of: row.max()!)!] += 1 }
            return counts
        }
    }

    func testPositionRowsMatchTheHost() throws {
        var generator = SplitMix64(seed: 4)
        for (shape, upsampled) in [([2, 3, 4, 5], false), ([2, 3, 4, 5], true), ([1, 2, 1, 3], true), ([3, 70, 7, 7], true)] {
            let map = generator.floats(shape.reduce(1, *), in: -2...2)
            let rows = try tensor(map, shape).zipfVotePositions(upsampled: upsampled)
            let scale = upsampled ? 2 : 1
            XCTAssertEqual(rows.shape, [shape[0] * shape[2] * shape[3] * scale * scale, shape[1]])
            XCTAssertLessThan(maxRelativeError(try rows.toArray(), Self.positions(map, shape, upsampled: upsampled).flatMap { $0 }), 1e-6,
                              "\(shape) upsampled \(upsampled)")
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
                       Self.votes(rows, samples: 5).flatMap { $0 })
        XCTAssertThrowsError(try tensor(logits, [6, 4]).zipfVotes(samples: 4))
    }
}
