import Foundation
import XCTest
@testable import RetortCompute
import RetortTestSupport

final class ReduceTests: DeviceTestCase {
    func testAxisSumsAndMeansMatchTheCPU() throws {
        let reduction = try ReduceLauncher(device: device)
        let stream = try device.makeStream()
        var random = TestRandom(seed: 31)
        var views: [ReduceLauncher.AxisView] = [
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
            let expected = ReduceOracle.sum(x, view)
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
        let reduction = try ReduceLauncher(device: device)
        let stream = try device.makeStream()
        var random = TestRandom(seed: 32)
        for shape in [[3, 5, 7, 9], [4, 8, 16, 16], [130, 10], [1, 6, 5, 5], [65_537, 1], [2, 3], [7], [8, 64, 9, 9]] {
            let count = shape.reduce(1, *)
            let x = random.floats(count)
            let input = try device.makeBuffer(x)
            for axis in shape.indices {
                let expected = ReduceOracle.sum(x, shape: shape, keeping: axis)
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
        let reduction = try ReduceLauncher(device: device)
        let stream = try device.makeStream()
        var random = TestRandom(seed: 33)
        for shape in [[3, 5, 7, 9], [64, 10], [2, 4, 8, 8], [1, 1]] {
            let x = random.floats(shape.reduce(1, *))
            let input = try device.makeBuffer(x)
            for broadcast in ElementwiseLauncher.Broadcast.allCases {
                let expected = ElementwiseOracle.sum(x.map(Double.init), shape: shape, to: broadcast)
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
        let reduction = try ReduceLauncher(device: device)
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
        let reduction = try ReduceLauncher(device: device)
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

    func testBadShapesAreInvalidArguments() throws {
        let reduction = try ReduceLauncher(device: device)
        let stream = try device.makeStream()
        let small = try device.makeBuffer(byteCount: 16), big = try device.makeBuffer(byteCount: 4096)
        assertInvalidArgument("zero view") { try reduction.encodeSum(into: stream, input: big, output: big, view: .init(outer: 0, reduced: 3, inner: 1)) }
        assertInvalidArgument("input too small") {
            try reduction.encodeSum(into: stream, input: small, output: big, view: .init(outer: 2, reduced: 3, inner: 1))
        }
        assertInvalidArgument("output too small") {
            try reduction.encodeSum(into: stream, input: big, output: small, view: .init(outer: 5, reduced: 3, inner: 1))
        }
        assertInvalidArgument("axes out of range") { _ = try ReduceLauncher.AxisView(shape: [2, 3], axes: 1..<3) }
        assertInvalidArgument("axis out of range") { try reduction.encodeSum(into: stream, input: big, output: big, shape: [2, 3], keeping: 2) }
        assertInvalidArgument("keeping, output too small") {
            try reduction.encodeSum(into: stream, input: big, output: small, shape: [2, 8, 3], keeping: 1)
        }
        assertInvalidArgument("channel of 1-D") { try reduction.encodeSum(into: stream, input: big, output: big, shape: [8], to: .channel) }
        assertInvalidArgument("total count") { try reduction.encodeTotal(into: stream, input: small, output: big, count: 5) }
        assertInvalidArgument("sum in place") { try reduction.encodeSum(into: stream, input: big, output: big, view: .init(outer: 4, reduced: 4, inner: 1)) }
        assertInvalidArgument("total in place") { try reduction.encodeTotal(into: stream, input: big, output: big, count: 100) }
        XCTAssertEqual(stream.dispatchCount, 0)
    }
}
