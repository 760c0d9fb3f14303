import XCTest
@testable import RetortCompute
import RetortTestSupport

final class CommandStreamTests: DeviceTestCase {
    private func scaleKernel() throws -> Kernel {
        try device.kernel(TestShader.scale, bindings: [.storage(.readWrite)], pushConstants: 3)
    }

    private func scale(_ stream: CommandStream, _ buffer: Buffer, count: Int, alpha: Float = 1, beta: Float) throws {
        let kernel = try scaleKernel()
        try stream.dispatch(kernel, [buffer], push: [.count(count), .float(alpha), .float(beta)],
                            groups: kernel.groups(covering: (count, 1, 1)))
    }

    func testThousandDispatchesInOneStream() throws {
        let count = 1000
        let x = try device.makeBuffer([Float](repeating: 0, count: count))
        let stream = try device.makeStream()
        for _ in 0..<1000 { try scale(stream, x, count: count, beta: 1) }
        XCTAssertEqual(stream.dispatchCount, 1000)
        XCTAssertEqual(stream.barrierCount, 999, "each dispatch reads what the previous one wrote")
        try stream.run()
        XCTAssertEqual(try x.read(Float.self), [Float](repeating: 1000, count: count))
    }

    func testWriteThenReadOfTheSameRangeGetsABarrier() throws {
        let count = 513
        let a = try device.makeBuffer([Float](repeating: 1, count: count))
        let b = try device.makeBuffer([Float](repeating: 2, count: count))
        let c = try device.makeBuffer(byteCount: count * 4)
        let add = try device.kernel(.elementwise, bindings: [.texel(.r32f), .texel(.r32f), .storage(.write)], pushConstants: 1,
                                    constants: [0])
        let stream = try device.makeStream()
        try scale(stream, a, count: count, alpha: 3, beta: 0)  // a = 3
        try stream.dispatch(add, [a, b, c], push: [.count(count)], groups: add.groups(covering: (count, 1, 1)))  // c = a + b
        XCTAssertEqual(stream.barrierCount, 1)
        try scale(stream, b, count: count, beta: 10)  // b written after being read: write-after-read
        XCTAssertEqual(stream.barrierCount, 2)
        try stream.run()
        XCTAssertEqual(try c.read(Float.self), [Float](repeating: 5, count: count))
        XCTAssertEqual(try b.read(Float.self), [Float](repeating: 12, count: count))
    }

    func testIndependentDispatchesAreNotSerialized() throws {
        let buffers = try (0..<8).map { _ in try device.makeBuffer([Float](repeating: 1, count: 300)) }
        let stream = try device.makeStream()
        for (index, buffer) in buffers.enumerated() { try scale(stream, buffer, count: 300, beta: Float(index)) }
        XCTAssertEqual(stream.barrierCount, 0)
        try stream.run()
        for (index, buffer) in buffers.enumerated() {
            XCTAssertEqual(try buffer.read(Float.self), [Float](repeating: 1 + Float(index), count: 300))
        }
    }

    func testReadsOfTheSameBufferNeedNoBarrier() throws {
        let a = try device.makeBuffer([Float](repeating: 2, count: 64))
        let outputs = try (0..<3).map { _ in try device.makeBuffer(byteCount: 64 * 4) }
        let multiply = try device.kernel(.elementwise, bindings: [.texel(.r32f), .texel(.r32f), .storage(.write)],
                                         pushConstants: 1, constants: [2])
        let stream = try device.makeStream()
        for output in outputs { try stream.dispatch(multiply, [a, a, output], push: [.count(64)], groups: (1, 1, 1)) }
        XCTAssertEqual(stream.barrierCount, 0)
        try stream.run()
        for output in outputs { XCTAssertEqual(try output.read(Float.self), [Float](repeating: 4, count: 64)) }
    }

    func testStreamIsReusableAfterWaitAndCopiesAndFills() throws {
        let a = try device.makeBuffer(byteCount: 40)
        let b = try device.makeBuffer(byteCount: 40)
        let stream = try device.makeStream()
        try stream.fill(a, with: Float(7))
        try stream.copy(a, to: b)
        XCTAssertEqual(stream.barrierCount, 1)
        try stream.run()
        XCTAssertEqual(try b.read(Float.self), [Float](repeating: 7, count: 10))
        try scale(stream, b, count: 10, alpha: 2, beta: 0)
        XCTAssertEqual(stream.dispatchCount, 1, "a new batch starts after wait")
        try stream.run()
        XCTAssertEqual(try b.read(Float.self), [Float](repeating: 14, count: 10))
        try stream.run()  // nothing recorded: a no-op
    }

    func testTimestampsGiveOneTimePerDispatch() throws {
        let x = try device.makeBuffer([Float](repeating: 0, count: 4096))
        let stream = try device.makeStream(timestamps: true)
        for _ in 0..<5 { try scale(stream, x, count: 4096, beta: 1) }
        try stream.run()
        let times = try stream.dispatchTimes()
        XCTAssertEqual(times.count, 5)
        XCTAssert(times.allSatisfy { $0.kernel == "scale" && $0.seconds >= 0 && $0.seconds < 10 }, "\(times)")
        XCTAssertEqual(try x.read(Float.self, count: 1), [5])
    }

    func testMismatchedArgumentsAreErrors() throws {
        let kernel = try scaleKernel()
        let x = try device.makeBuffer(byteCount: 16)
        let stream = try device.makeStream()
        XCTAssertThrowsError(try stream.dispatch(kernel, [x, x], push: [1, 1.0, 0.0], groups: (1, 1, 1)))
        XCTAssertThrowsError(try stream.dispatch(kernel, [x], push: [1], groups: (1, 1, 1)))
        XCTAssertThrowsError(try stream.dispatch(kernel, [x], push: [1, 1.0, 0.0], groups: (Int(UInt32.max) + 1, 1, 1)))
        XCTAssertThrowsError(try stream.copy(x, to: try device.makeBuffer(byteCount: 8)))
        XCTAssertEqual(stream.dispatchCount, 0)
    }
}

final class HazardTrackerTests: XCTestCase {
    // Kept alive so the two identifiers stay distinct.
    private let objects = (NSObject(), NSObject())
    private var blockA: ObjectIdentifier { ObjectIdentifier(objects.0) }
    private var blockB: ObjectIdentifier { ObjectIdentifier(objects.1) }
    private func range(_ block: ObjectIdentifier, _ start: UInt64, _ end: UInt64) -> HazardTracker.Range {
        .init(block: block, start: start, end: end)
    }

    func testReadAfterWriteWriteAfterReadAndWriteAfterWrite() {
        var tracker = HazardTracker()
        XCTAssertFalse(tracker.record(reads: [], writes: [range(blockA, 0, 100)]))
        XCTAssertTrue(tracker.record(reads: [range(blockA, 50, 60)], writes: []), "read after write")
        XCTAssertTrue(tracker.record(reads: [], writes: [range(blockA, 55, 56)]), "write after read")
        XCTAssertTrue(tracker.record(reads: [], writes: [range(blockA, 0, 56)]), "write after write")
    }

    func testDisjointRangesAndOtherBlocksAreIndependent() {
        var tracker = HazardTracker()
        XCTAssertFalse(tracker.record(reads: [range(blockA, 0, 100)], writes: [range(blockA, 100, 200)]))
        XCTAssertFalse(tracker.record(reads: [range(blockA, 0, 100)], writes: [range(blockA, 200, 300)]), "reads never conflict with reads")
        XCTAssertFalse(tracker.record(reads: [], writes: [range(blockB, 100, 200)]), "same offsets, other block")
        XCTAssertTrue(tracker.record(reads: [range(blockA, 199, 200)], writes: []))
        XCTAssertEqual(tracker.pendingWrites, [], "a barrier clears what was pending")
    }
}
