import Foundation
import XCTest
@testable import RetortCompute
import RetortTestSupport

final class TopKTests: DeviceTestCase {
    func testArgmaxPicksTheFirstMaximum() throws {
        let selection = try TopKLauncher(device: device)
        let stream = try device.makeStream()
        // Hand-made rows: ties (the first wins), a maximum at the end, all equal, NaN (the first NaN wins).
        let columns = 5
        let rows: [[Float]] = [[1, 3, 3, 2, 0], [0, 0, 0, 0, 9], [2, 2, 2, 2, 2], [-4, -1, -1, -3, -2], [1, .nan, 5, .nan, 0],
                               [.nan, 1, 2, 3, 4], [-.infinity, -.infinity, -5, -5, -.infinity]]
        var cases: [(Int, Int, [Float])] = [(rows.count, columns, rows.flatMap { $0 })]
        // Random rows of small integers (many ties), odd sizes.
        var random = TestRandom(seed: 36)
        for (count, width) in [(1, 1), (7, 10), (33, 100), (130, 7), (1000, 10)] {
            cases.append((count, width, (0..<count * width).map { _ in Float(Int.random(in: 0...5, using: &random)) }))
        }
        for (count, width, x) in cases {
            let output = try device.makeBuffer(byteCount: count * 4)
            try selection.encodeArgmax(into: stream, input: try device.makeBuffer(x), output: output, rows: count, columns: width)
            try stream.run()
            let expected = (0..<count).map { TopKOracle.argmax(x[$0 * width..<($0 + 1) * width]) }
            XCTAssertEqual(try output.read(UInt32.self), expected, "argmax [\(count), \(width)]")
        }
    }

    func testTopKCountsWithTies() throws {
        let selection = try TopKLauncher(device: device)
        let stream = try device.makeStream()
        // Hand-made: label 2 tied with the max → top-1 hit; label with 5 strictly greater → top-5 miss.
        let handRows: [[Float]] = [[1, 3, 3, 2, 0, 0, 0], [6, 5, 4, 3, 2, 1, 0], [6, 5, 4, 3, 2, 1, 0], [0, 0, 0, 0, 0, 0, 0],
                                   [1, 1, 1, 1, 1, 2, 2]]
        let handLabels: [UInt32] = [2, 5, 4, 6, 0]
        var cases: [(Int, Int, [Float], [UInt32])] = [(handRows.count, 7, handRows.flatMap { $0 }, handLabels)]
        var random = TestRandom(seed: 37)
        for (count, width) in [(1, 1), (7, 10), (33, 100), (130, 7), (1000, 10), (257, 3)] {
            let x = (0..<count * width).map { _ in Float(Int.random(in: 0...4, using: &random)) }
            // Mostly valid labels, a few out of range.
            let labels = (0..<count).map { _ in UInt32(Int.random(in: 0..<(width + 1), using: &random)) }
            cases.append((count, width, x, labels))
        }
        for (count, width, x, labels) in cases {
            for topK in [[1, 5], [1, 2, 3, 5]] {
                let counts = try device.makeBuffer([UInt32](repeating: 7, count: topK.count))
                try selection.encodeTopKCorrect(into: stream, logits: try device.makeBuffer(x), labels: try device.makeBuffer(labels),
                                               counts: counts, rows: count, columns: width, topK: topK)
                try stream.run()
                let expected = topK.map { UInt32(TopKOracle.correctCount(x, labels: labels, classes: width, k: $0)) }
                XCTAssertEqual(try counts.read(UInt32.self), expected, "top-k \(topK) [\(count), \(width)]")
                // Accumulating adds to the previous counts.
                try selection.encodeTopKCorrect(into: stream, logits: try device.makeBuffer(x), labels: try device.makeBuffer(labels),
                                               counts: counts, rows: count, columns: width, topK: topK, accumulate: true)
                try stream.run()
                XCTAssertEqual(try counts.read(UInt32.self), expected.map { 2 * $0 }, "accumulated top-k \(topK) [\(count), \(width)]")
            }
        }
        // The hand-made rows, spelled out: top-1 hits rows 0 and 3; top-5 hits rows 0, 2, 3 and 4.
        let counts = try device.makeBuffer(byteCount: 8)
        try selection.encodeTopKCorrect(into: stream, logits: try device.makeBuffer(handRows.flatMap { $0 }),
                                       labels: try device.makeBuffer(handLabels), counts: counts, rows: 5, columns: 7)
        try stream.run()
        XCTAssertEqual(try counts.read(UInt32.self), [2, 4])
    }

    func testBadShapesAreInvalidArguments() throws {
        let selection = try TopKLauncher(device: device)
        let stream = try device.makeStream()
        let small = try device.makeBuffer(byteCount: 16), big = try device.makeBuffer(byteCount: 4096)
        assertInvalidArgument("argmax rows") { try selection.encodeArgmax(into: stream, input: big, output: small, rows: 5, columns: 2) }
        assertInvalidArgument("argmax zero") { try selection.encodeArgmax(into: stream, input: big, output: big, rows: 0, columns: 2) }
        assertInvalidArgument("top-k labels") {
            try selection.encodeTopKCorrect(into: stream, logits: big, labels: small, counts: big, rows: 5, columns: 10)
        }
        assertInvalidArgument("top-k k") {
            try selection.encodeTopKCorrect(into: stream, logits: big, labels: big, counts: big, rows: 5, columns: 10, topK: [0])
        }
        assertInvalidArgument("top-k too many") {
            try selection.encodeTopKCorrect(into: stream, logits: big, labels: big, counts: big, rows: 5, columns: 10, topK: [1, 2, 3, 4, 5])
        }
        assertInvalidArgument("top-k counts over labels") {
            try selection.encodeTopKCorrect(into: stream, logits: big, labels: big, counts: big, rows: 5, columns: 10)
        }
        XCTAssertEqual(stream.dispatchCount, 0)
    }
}
