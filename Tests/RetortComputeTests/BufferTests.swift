import XCTest
@testable import RetortCompute
import RetortTestSupport

final class BufferTests: DeviceTestCase {
    func testRoundTripAtSeveralSizes() throws {
        var random = TestRandom(seed: 7)
        for count in [1, 3, 64, 1000, 4097, 1 << 18] {
            let values = random.floats(count)
            let buffer = try device.makeBuffer(values)
            XCTAssertEqual(buffer.byteCount, count * 4)
            XCTAssertEqual(try buffer.read(Float.self), values, "count \(count)")
        }
    }

    /// More than 128 MiB in total (one binding's limit on lavapipe) and more than one arena block.
    func testRoundTripAboveOneHundredTwentyEightMiBTotal() throws {
        let count = 48 << 18  // 48 MiB of UInt32 per buffer
        var buffers: [Buffer] = []
        for index in 0..<4 {
            let values = [UInt32](unsafeUninitializedCapacity: count) { pointer, initialized in
                for i in 0..<count { pointer[i] = UInt32(truncatingIfNeeded: i &* 2_654_435_761 &+ index) }
                initialized = count
            }
            let buffer = try device.makeBuffer(values)
            buffers.append(buffer)
            XCTAssert(try buffer.read(UInt32.self) == values, "buffer \(index) differs after a round trip")
        }
        XCTAssertGreaterThan(buffers.reduce(0) { $0 + $1.byteCount }, 128 << 20)
        XCTAssertGreaterThanOrEqual(device.reservedBytes, 192 << 20)
    }

    func testPartialWritesAndReadsAtOffsets() throws {
        let buffer = try device.makeBuffer([Float](repeating: 0, count: 10))
        try buffer.write([1, 2, 3] as [Float], at: 4)
        XCTAssertEqual(try buffer.read(Float.self, count: 5, at: 3), [0, 1, 2, 3, 0])
        XCTAssertThrowsError(try buffer.write([1, 2, 3] as [Float], at: 8))
        XCTAssertThrowsError(try buffer.read(Float.self, count: 11))
    }

    func testFreedRangesAreReused() throws {
        _ = try device.makeBuffer(byteCount: 1 << 20)  // make sure a block exists
        let before = device.reservedBytes
        for _ in 0..<50 { _ = try device.makeBuffer(byteCount: 8 << 20) }
        XCTAssertEqual(device.reservedBytes, before, "released buffers must go back to the arena")
    }

    /// Live buffers count at their aligned size; the peak is the most held at once since its reset.
    func testArenaCountsBytesInUseAndTheirPeak() throws {
        let base = device.bytesInUse
        device.resetPeakBytesInUse()
        XCTAssertEqual(device.peakBytesInUse, base)
        var a: Buffer? = try device.makeBuffer(byteCount: 1000)
        var b: Buffer? = try device.makeBuffer(byteCount: 5000)
        let sizes = [a!.allocation.size, b!.allocation.size]
        XCTAssert(sizes[0] >= 1000 && sizes[1] >= 5000 && sizes.allSatisfy { $0 % device.arena.alignment == 0 }, "\(sizes)")
        XCTAssertEqual(device.bytesInUse, base + sizes[0] + sizes[1])
        a = nil
        XCTAssertEqual(device.bytesInUse, base + sizes[1])
        var c: Buffer? = try device.makeBuffer(byteCount: 100)
        XCTAssertEqual(device.peakBytesInUse, base + sizes[0] + sizes[1], "a smaller buffer after a release is under the peak")
        b = nil
        c = nil
        XCTAssertEqual(device.bytesInUse, base)
        XCTAssertEqual(device.peakBytesInUse, base + sizes[0] + sizes[1])
        device.resetPeakBytesInUse()
        XCTAssertEqual(device.peakBytesInUse, base)
        XCTAssert([a, b, c].allSatisfy { $0 == nil })
    }

    func testBuffersDoNotOverlap() throws {
        let a = try device.makeBuffer([Float](repeating: 1, count: 100))
        let b = try device.makeBuffer([Float](repeating: 2, count: 100))
        XCTAssertEqual(try a.read(Float.self), [Float](repeating: 1, count: 100))
        XCTAssertEqual(try b.read(Float.self), [Float](repeating: 2, count: 100))
        if a.block === b.block {
            XCTAssert(a.offset + a.allocation.size <= b.offset || b.offset + b.allocation.size <= a.offset)
            XCTAssertEqual(a.offset % device.context.limits.minStorageBufferOffsetAlignment, 0)
        }
    }

    func testAllocationBeyondDeviceMemoryIsATypedOutOfMemoryError() {
        XCTAssertThrowsError(try device.makeBuffer(byteCount: 1 << 46)) { error in
            guard case VulkanError.outOfMemory = error else { return XCTFail("expected outOfMemory, got \(error)") }
            XCTAssert("\(error)".contains("smaller batch"), "\(error)")
        }
        XCTAssertThrowsError(try device.makeBuffer(byteCount: 0))
    }
}

/// The staging path (device memory the host cannot map), forced on whatever device runs the tests.
final class StagedBufferTests: XCTestCase {
    func testRoundTripAndKernelThroughStagingCopies() throws {
        var options = Device.Options.fromEnvironment()
        options.validation = true
        options.staging = true
        let device = try Device(options: options)
        XCTAssertFalse(device.mapsMemoryDirectly)
        var random = TestRandom(seed: 21)
        // Larger than the 32 MiB staging block, so the copy is chunked.
        let values = random.floats((40 << 20) / 4 + 3)
        let big = try device.makeBuffer(values)
        XCTAssert(try big.read(Float.self) == values, "staged round trip differs")
        XCTAssertEqual(try big.read(Float.self, count: 3, at: 1000), Array(values[1000..<1003]))

        let x = try device.makeBuffer([Float](repeating: 2, count: 100))
        let kernel = try device.kernel(TestShader.scale, bindings: [.storage(.readWrite)], pushConstants: 3)
        let stream = try device.makeStream()
        try stream.dispatch(kernel, [x], push: [100, 3.0, 1.0], groups: (2, 1, 1))
        try stream.run()
        XCTAssertEqual(try x.read(Float.self), [Float](repeating: 7, count: 100))
        XCTAssertEqual(device.drainValidationMessages(), [])
    }
}
