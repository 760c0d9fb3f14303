import Foundation
import XCTest
@testable import RetortCompute
import RetortTestSupport

/// CPU references (Double) for the reductions.
enum ReductionReference {
    static func sum(_ x: [Float], _ view: Reduction.AxisView) -> [Double] {
        var y = [Double](repeating: 0, count: view.outer * view.inner)
        for o in 0..<view.outer {
            for r in 0..<view.reduced {
                for i in 0..<view.inner { y[o * view.inner + i] += Double(x[(o * view.reduced + r) * view.inner + i]) }
            }
        }
        return y
    }

    static func sum(_ x: [Float], shape: [Int], keeping axis: Int) -> [Double] {
        let inner = shape[(axis + 1)...].reduce(1, *)
        var y = [Double](repeating: 0, count: shape[axis])
        for e in x.indices { y[(e / inner) % shape[axis]] += Double(x[e]) }
        return y
    }

    /// torch.argmax: first maximum, NaN counts as the largest.
    static func argmax(_ row: ArraySlice<Float>) -> UInt32 {
        var best = row.startIndex
        for c in row.indices {
            if row[best].isNaN { break }
            if row[c] > row[best] || row[c].isNaN { best = c }
        }
        return UInt32(best - row.startIndex)
    }

    /// Whether `label` is in the top k: fewer than k logits strictly greater than its own.
    static func inTopK(_ row: ArraySlice<Float>, label: UInt32, k: Int) -> Bool {
        guard Int(label) < row.count else { return false }
        let target = row[row.startIndex + Int(label)]
        guard !target.isNaN else { return false }
        return row.filter { $0 > target }.count < k
    }
}

final class ReductionTests: DeviceTestCase {
    func testAxisSumsAndMeansMatchTheCPU() throws {
        let reduction = try Reduction(device: device)
        let stream = try device.makeStream()
        var random = TestRandom(seed: 31)
        var views: [Reduction.AxisView] = [
            .init(outer: 1, reduced: 1, inner: 1), .init(outer: 1, reduced: 7, inner: 1), .init(outer: 1, reduced: 33, inner: 1),
            .init(outer: 1, reduced: 1000, inner: 1), .init(outer: 1, reduced: 65_537, inner: 1), .init(outer: 3, reduced: 65_536, inner: 1),
            .init(outer: 2, reduced: 1000, inner: 33), .init(outer: 7, reduced: 33, inner: 4), .init(outer: 5, reduced: 1000, inner: 1),
            .init(outer: 130, reduced: 7, inner: 1), .init(outer: 1, reduced: 20_000, inner: 8), .init(outer: 1, reduced: 9, inner: 130),
        ]
        let shape = [3, 5, 7, 9]
        for axis in 0..<4 { views.append(try .init(shape: shape, axis: axis)) }
        views.append(try .init(shape: shape, axes: 2..<4))
        views.append(try .init(shape: shape, axes: 0..<2))
        views.append(try .init(shape: shape, axes: 0..<4))
        for view in views {
            let x = random.floats(view.outer * view.reduced * view.inner)
            let input = try device.makeBuffer(x)
            let expected = ReductionReference.sum(x, view)
            for mean in [false, true] {
                let output = try device.makeBuffer(byteCount: expected.count * 4)
                try reduction.encodeSum(into: stream, input: input, output: output, view: view, mean: mean)
                try stream.run()
                let scaled = expected.map { mean ? $0 / Double(view.reduced) : $0 }
                XCTAssertLessThanOrEqual(maxRelativeError(try output.read(Float.self), scaled), 1e-4, "\(mean ? "mean" : "sum") \(view)")
            }
            // Accumulate into existing values.
            let prior = random.floats(expected.count)
            let output = try device.makeBuffer(prior)
            try reduction.encodeSum(into: stream, input: input, output: output, view: view, accumulate: true)
            try stream.run()
            XCTAssertLessThanOrEqual(maxRelativeError(try output.read(Float.self), zip(expected, prior).map { $0 + Double($1) }), 1e-4,
                                     "accumulate \(view)")
        }
    }

    func testSumsKeepingOneAxisMatchTheCPU() throws {
        let reduction = try Reduction(device: device)
        let stream = try device.makeStream()
        var random = TestRandom(seed: 32)
        for shape in [[3, 5, 7, 9], [4, 8, 16, 16], [130, 10], [1, 6, 5, 5], [65_537, 1], [2, 3], [7], [8, 64, 9, 9]] {
            let count = shape.reduce(1, *)
            let x = random.floats(count)
            let input = try device.makeBuffer(x)
            for axis in shape.indices {
                let expected = ReductionReference.sum(x, shape: shape, keeping: axis)
                for mean in [false, true] {
                    let output = try device.makeBuffer(byteCount: shape[axis] * 4)
                    try reduction.encodeSum(into: stream, input: input, output: output, shape: shape, keeping: axis, mean: mean)
                    try stream.run()
                    let scaled = expected.map { mean ? $0 * Double(shape[axis]) / Double(count) : $0 }
                    XCTAssertLessThanOrEqual(maxRelativeError(try output.read(Float.self), scaled), 1e-4, "\(shape) keeping \(axis) mean \(mean)")
                }
            }
        }
    }

    /// The reverse of each broadcast: a full gradient summed back to the broadcast operand's shape.
    func testSumsToBroadcastShapesMatchTheCPU() throws {
        let reduction = try Reduction(device: device)
        let stream = try device.makeStream()
        var random = TestRandom(seed: 33)
        for shape in [[3, 5, 7, 9], [64, 10], [2, 4, 8, 8], [1, 1]] {
            let x = random.floats(shape.reduce(1, *))
            let input = try device.makeBuffer(x)
            for broadcast in Elementwise.Broadcast.allCases {
                let expected = ElementwiseReference.sum(x.map(Double.init), shape: shape, to: broadcast)
                let prior = random.floats(expected.count)
                for accumulate in [false, true] {
                    let output = try device.makeBuffer(prior)
                    try reduction.encodeSum(into: stream, input: input, output: output, shape: shape, to: broadcast, accumulate: accumulate)
                    try stream.run()
                    let target = accumulate ? zip(expected, prior).map { $0 + Double($1) } : expected
                    XCTAssertLessThanOrEqual(maxRelativeError(try output.read(Float.self), target), 1e-4, "\(shape) to \(broadcast) \(accumulate)")
                }
            }
        }
    }

    func testTotalsMatchTheCPU() throws {
        let reduction = try Reduction(device: device)
        let stream = try device.makeStream()
        var random = TestRandom(seed: 34)
        for count in [1, 7, 33, 130, 1000, 65_537, 1 << 20] {
            let x = random.floats(count, in: -1...3)
            let input = try device.makeBuffer(x)
            let sum = x.reduce(0.0) { $0 + Double($1) }
            for mean in [false, true] {
                let output = try device.makeBuffer(byteCount: 4)
                try reduction.encodeTotal(into: stream, input: input, output: output, count: count, mean: mean)
                try stream.run()
                XCTAssertLessThanOrEqual(maxRelativeError(try output.read(Float.self), [mean ? sum / Double(count) : sum]), 1e-4,
                                         "total of \(count), mean \(mean)")
            }
        }
    }

    func testReductionsGiveTheSameBitsEveryRun() throws {
        let reduction = try Reduction(device: device)
        let stream = try device.makeStream()
        var random = TestRandom(seed: 35)
        let shape = [8, 16, 33, 33]
        let input = try device.makeBuffer(random.floats(shape.reduce(1, *)))
        var results: [[UInt32]] = []
        for _ in 0..<3 {
            let channels = try device.makeBuffer(byteCount: 16 * 4), total = try device.makeBuffer(byteCount: 4)
            let rows = try device.makeBuffer(byteCount: 8 * 16 * 4)
            try reduction.encodeSum(into: stream, input: input, output: channels, shape: shape, keeping: 1)
            try reduction.encodeTotal(into: stream, input: input, output: total, count: shape.reduce(1, *), mean: true)
            try reduction.encodeSum(into: stream, input: input, output: rows, view: try .init(shape: shape, axes: 2..<4))
            try stream.run()
            results.append(try channels.read(UInt32.self) + total.read(UInt32.self) + rows.read(UInt32.self))
        }
        XCTAssertEqual(results[0], results[1])
        XCTAssertEqual(results[0], results[2])
    }

    func testArgmaxPicksTheFirstMaximum() throws {
        let reduction = try Reduction(device: device)
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
            try reduction.encodeArgmax(into: stream, input: try device.makeBuffer(x), output: output, rows: count, columns: width)
            try stream.run()
            let expected = (0..<count).map { ReductionReference.argmax(x[$0 * width..<($0 + 1) * width]) }
            XCTAssertEqual(try output.read(UInt32.self), expected, "argmax [\(count), \(width)]")
        }
    }

    func testTopKCountsWithTies() throws {
        let reduction = try Reduction(device: device)
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
                try reduction.encodeTopKCorrect(into: stream, logits: try device.makeBuffer(x), labels: try device.makeBuffer(labels),
                                                counts: counts, rows: count, columns: width, topK: topK)
                try stream.run()
                let expected = topK.map { k in
                    UInt32((0..<count).filter { ReductionReference.inTopK(x[$0 * width..<($0 + 1) * width], label: labels[$0], k: k) }.count)
                }
                XCTAssertEqual(try counts.read(UInt32.self), expected, "top-k \(topK) [\(count), \(width)]")
                // Accumulating adds to the previous counts.
                try reduction.encodeTopKCorrect(into: stream, logits: try device.makeBuffer(x), labels: try device.makeBuffer(labels),
                                                counts: counts, rows: count, columns: width, topK: topK, accumulate: true)
                try stream.run()
                XCTAssertEqual(try counts.read(UInt32.self), expected.map { 2 * $0 }, "accumulated top-k \(topK) [\(count), \(width)]")
            }
        }
        // The hand-made rows, spelled out: top-1 hits rows 0 and 3; top-5 hits rows 0, 2, 3 and 4.
        let counts = try device.makeBuffer(byteCount: 8)
        try reduction.encodeTopKCorrect(into: stream, logits: try device.makeBuffer(handRows.flatMap { $0 }),
                                        labels: try device.makeBuffer(handLabels), counts: counts, rows: 5, columns: 7)
        try stream.run()
        XCTAssertEqual(try counts.read(UInt32.self), [2, 4])
    }

    func testBadShapesAreInvalidArguments() throws {
        let reduction = try Reduction(device: device)
        let stream = try device.makeStream()
        let small = try device.makeBuffer(byteCount: 16), big = try device.makeBuffer(byteCount: 4096)
        func expectInvalid(_ label: String, _ body: () throws -> Void) {
            XCTAssertThrowsError(try body(), label) { error in
                guard case VulkanError.invalidArgument = error else { return XCTFail("\(label): \(error)") }
            }
        }
        expectInvalid("zero view") { try reduction.encodeSum(into: stream, input: big, output: big, view: .init(outer: 0, reduced: 3, inner: 1)) }
        expectInvalid("input too small") {
            try reduction.encodeSum(into: stream, input: small, output: big, view: .init(outer: 2, reduced: 3, inner: 1))
        }
        expectInvalid("output too small") {
            try reduction.encodeSum(into: stream, input: big, output: small, view: .init(outer: 5, reduced: 3, inner: 1))
        }
        expectInvalid("axes out of range") { _ = try Reduction.AxisView(shape: [2, 3], axes: 1..<3) }
        expectInvalid("axis out of range") { try reduction.encodeSum(into: stream, input: big, output: big, shape: [2, 3], keeping: 2) }
        expectInvalid("keeping, output too small") {
            try reduction.encodeSum(into: stream, input: big, output: small, shape: [2, 8, 3], keeping: 1)
        }
        expectInvalid("channel of 1-D") { try reduction.encodeSum(into: stream, input: big, output: big, shape: [8], to: .channel) }
        expectInvalid("total count") { try reduction.encodeTotal(into: stream, input: small, output: big, count: 5) }
        expectInvalid("argmax rows") { try reduction.encodeArgmax(into: stream, input: big, output: small, rows: 5, columns: 2) }
        expectInvalid("argmax zero") { try reduction.encodeArgmax(into: stream, input: big, output: big, rows: 0, columns: 2) }
        expectInvalid("top-k labels") {
            try reduction.encodeTopKCorrect(into: stream, logits: big, labels: small, counts: big, rows: 5, columns: 10)
        }
        expectInvalid("top-k k") {
            try reduction.encodeTopKCorrect(into: stream, logits: big, labels: big, counts: big, rows: 5, columns: 10, topK: [0])
        }
        expectInvalid("top-k too many") {
            try reduction.encodeTopKCorrect(into: stream, logits: big, labels: big, counts: big, rows: 5, columns: 10, topK: [1, 2, 3, 4, 5])
        }
        expectInvalid("sum in place") { try reduction.encodeSum(into: stream, input: big, output: big, view: .init(outer: 4, reduced: 4, inner: 1)) }
        expectInvalid("total in place") { try reduction.encodeTotal(into: stream, input: big, output: big, count: 100) }
        expectInvalid("top-k counts over labels") {
            try reduction.encodeTopKCorrect(into: stream, logits: big, labels: big, counts: big, rows: 5, columns: 10)
        }
        XCTAssertEqual(stream.dispatchCount, 0)
    }
}
