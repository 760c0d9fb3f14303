import Foundation
import XCTest
@testable import RetortCompute
import RetortTestSupport

final class StridedCopyTests: DeviceTestCase {
    /// Axis permutations (transposes) and windows of every rank, odd sizes included; the destination
    /// starts filled with a sentinel that must survive outside the copied elements.
    func testGeneralCopiesMatchTheCPU() throws {
        let copy = try CopyStridedLauncher(device: device)
        let stream = try device.makeStream()
        var random = TestRandom(seed: 31)
        let cases: [(shape: [Int], permutation: [Int])] = [
            ([1], [0]), ([7], [0]), ([65_537], [0]), ([33, 7], [1, 0]), ([130, 3], [0, 1]), ([5, 7, 9], [2, 0, 1]),
            ([2, 3, 5, 7], [0, 2, 1, 3]), ([3, 1, 33, 4], [3, 2, 1, 0]), ([2, 64, 33, 33], [0, 1, 3, 2]), ([1, 1, 1, 1], [2, 3, 0, 1]),
        ]
        for (shape, permutation) in cases {
            // Source: a dense tensor of the permuted shape, read in `shape` order, after a random offset.
            let stored = permutation.map { shape[$0] }
            let storedStrides = CopyStridedLauncher.Layout.dense(stored).strides
            var strides = [Int](repeating: 0, count: shape.count)
            for (position, axis) in permutation.enumerated() { strides[axis] = storedStrides[position] }
            let sourceOffset = Int(random.next() % 5), destinationOffset = Int(random.next() % 5)
            let count = shape.reduce(1, *)
            let source = random.floats(count + sourceOffset)
            let destination = [Float](repeating: -7, count: count + destinationOffset + 3)
            let sourceLayout = CopyStridedLauncher.Layout(offset: sourceOffset, strides: strides)
            let destinationLayout = CopyStridedLauncher.Layout.dense(shape, offset: destinationOffset)
            let sourceBuffer = try device.makeBuffer(source), destinationBuffer = try device.makeBuffer(destination)
            try copy.encode(into: stream, shape: shape, source: sourceBuffer, sourceLayout, destination: destinationBuffer, destinationLayout)
            try stream.run()
            let expected = CopyStridedOracle.copy(source, sourceLayout, into: destination, destinationLayout, shape: shape)
            XCTAssertEqual(try destinationBuffer.read(Float.self), expected, "\(shape) permuted \(permutation)")
        }
    }

    func testSliceAndInsertMatchTheCPU() throws {
        let copy = try CopyStridedLauncher(device: device)
        let stream = try device.makeStream()
        var random = TestRandom(seed: 32)
        let cases: [(outer: Int, axis: Int, inner: Int, range: Range<Int>)] = [
            (1, 1, 1, 0..<1), (2, 7, 9, 0..<3), (2, 7, 9, 3..<7), (3, 130, 10, 17..<100), (1, 33, 1, 32..<33), (4, 12, 16, 6..<12),
            (7, 5, 33, 1..<4),
        ]
        for (outer, axis, inner, range) in cases {
            let x = random.floats(outer * axis * inner)
            let input = try device.makeBuffer(x)
            let sliced = try device.makeBuffer(byteCount: outer * range.count * inner * 4)
            try copy.encodeSlice(into: stream, input: input, output: sliced, outer: outer, axis: axis, inner: inner, range: range)
            // Insert the slice back into a fresh buffer holding other values: only the window changes.
            let background = random.floats(outer * axis * inner)
            let restored = try device.makeBuffer(background)
            try copy.encodeInsert(into: stream, input: sliced, output: restored, outer: outer, axis: axis, inner: inner,
                                  at: range.lowerBound, count: range.count)
            try stream.run()
            let expectedSlice = CopyStridedOracle.slice(x, outer: outer, axis: axis, inner: inner, range: range)
            XCTAssertEqual(try sliced.read(Float.self), expectedSlice, "slice \(range) of [\(outer), \(axis), \(inner)]")
            let expectedRestored = CopyStridedOracle.insert(expectedSlice, into: background, outer: outer, axis: axis, inner: inner,
                                                            at: range.lowerBound)
            XCTAssertEqual(try restored.read(Float.self), expectedRestored, "insert \(range) into [\(outer), \(axis), \(inner)]")
        }
    }

    /// The shuffle against the CPU, and its backward (the shuffle with C/g groups) against the exact
    /// inverse; the backward of slice (insert) is checked as the adjoint: ⟨slice(x), y⟩ = ⟨x, insert(y)⟩.
    func testChannelShuffleAndTheBackwardMaps() throws {
        let copy = try CopyStridedLauncher(device: device)
        let stream = try device.makeStream()
        var random = TestRandom(seed: 33)
        for (batch, channels, spatial, groups) in [(1, 1, 1, 1), (2, 6, 9, 3), (2, 6, 9, 2), (3, 130, 5, 2), (2, 240, 16, 3), (1, 7, 33, 7),
                                                   (2, 116, 4, 2)] {
            let x = random.floats(batch * channels * spatial)
            let input = try device.makeBuffer(x)
            let shuffled = try device.makeBuffer(byteCount: x.count * 4), restored = try device.makeBuffer(byteCount: x.count * 4)
            try copy.encodeChannelShuffle(into: stream, input: input, output: shuffled, batch: batch, channels: channels, spatial: spatial,
                                          groups: groups)
            try copy.encodeChannelShuffle(into: stream, input: shuffled, output: restored, batch: batch, channels: channels, spatial: spatial,
                                          groups: channels / groups)
            try stream.run()
            let expected = CopyStridedOracle.shuffle(x, batch: batch, channels: channels, spatial: spatial, groups: groups)
            XCTAssertEqual(try shuffled.read(Float.self), expected, "shuffle [\(batch), \(channels), \(spatial)] in \(groups) groups")
            XCTAssertEqual(try restored.read(Float.self), x, "inverse shuffle [\(batch), \(channels), \(spatial)] in \(groups) groups")
        }
        for (outer, axis, inner, range) in [(2, 7, 9, 2..<5), (3, 33, 4, 0..<33)] {
            let x = random.floats(outer * axis * inner), y = random.floats(outer * range.count * inner)
            let input = try device.makeBuffer(x), sliced = try device.makeBuffer(byteCount: y.count * 4)
            let gradient = try device.makeBuffer(y), scattered = try device.makeBuffer([Float](repeating: 0, count: x.count))
            try copy.encodeSlice(into: stream, input: input, output: sliced, outer: outer, axis: axis, inner: inner, range: range)
            try copy.encodeInsert(into: stream, input: gradient, output: scattered, outer: outer, axis: axis, inner: inner,
                                  at: range.lowerBound, count: range.count)
            try stream.run()
            let lhs = zip(try sliced.read(Float.self), y).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            let rhs = zip(x, try scattered.read(Float.self)).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            XCTAssertEqual(lhs, rhs, accuracy: 1e-9 * max(1, abs(lhs)), "adjoint of slice \(range) of [\(outer), \(axis), \(inner)]")
        }
    }

    func testInvalidCopiesThrowNamingTheShapes() throws {
        let copy = try CopyStridedLauncher(device: device)
        let stream = try device.makeStream()
        let a = try device.makeBuffer([Float](repeating: 1, count: 24)), b = try device.makeBuffer(byteCount: 24 * 4)
        func assertInvalid(_ fragment: String, _ body: () throws -> Void, line: UInt = #line) {
            assertInvalidArgument(fragment, containing: fragment, body, line: line)
        }
        assertInvalid("at most 4 axes") {
            try copy.encode(into: stream, shape: [1, 2, 3, 4, 1], source: a, .dense([1, 2, 3, 4, 1]), destination: b, .dense([1, 2, 3, 4, 1]))
        }
        assertInvalid("source needs 25 values") {
            try copy.encode(into: stream, shape: [2, 12], source: a, .dense([2, 12], offset: 1), destination: b, .dense([2, 12]))
        }
        assertInvalid("several indices to one element") {
            try copy.encode(into: stream, shape: [2, 12], source: a, .dense([2, 12]), destination: b, .init(strides: [1, 1]))
        }
        assertInvalid("one non-negative stride per axis") {
            try copy.encode(into: stream, shape: [2, 12], source: a, .init(strides: [12]), destination: b, .dense([2, 12]))
        }
        assertInvalid("different buffers") {
            try copy.encode(into: stream, shape: [24], source: a, .dense([24]), destination: a, .dense([24]))
        }
        assertInvalid("inside the axis") {
            try copy.encodeSlice(into: stream, input: a, output: b, outer: 2, axis: 3, inner: 4, range: 2..<4)
        }
        assertInvalid("inside the axis") {
            try copy.encodeInsert(into: stream, input: a, output: b, outer: 2, axis: 3, inner: 4, at: 3, count: 1)
        }
        assertInvalid("do not divide 6 channels") {
            try copy.encodeChannelShuffle(into: stream, input: a, output: b, batch: 1, channels: 6, spatial: 4, groups: 4)
        }
        try stream.run()
    }
}
