import XCTest
@testable import RetortCompute
import RetortTestSupport

/// The arena's limit (`RETORT_MEMORY_LIMIT`): sizes as users write them, allocations beyond it a
/// typed out-of-memory error saying what was needed and what is held, and freed memory reusable.
final class MemoryArenaTests: XCTestCase {
    func testLimitsAreReadAsUsersWriteThem() {
        XCTAssertEqual(MemoryArena.bytes(parsing: "4096"), 4096)
        XCTAssertEqual(MemoryArena.bytes(parsing: "512K"), 512 << 10)
        XCTAssertEqual(MemoryArena.bytes(parsing: "64m"), 64 << 20)
        XCTAssertEqual(MemoryArena.bytes(parsing: "64MiB"), 64 << 20)
        XCTAssertEqual(MemoryArena.bytes(parsing: " 1.5G "), 3 << 29)
        XCTAssertEqual(MemoryArena.bytes(parsing: "2TB"), 2 << 40)
        for bad in ["", "M", "lots", "-1G", "0", "nan", "1e30T", "12 M"] { XCTAssertNil(MemoryArena.bytes(parsing: bad), bad) }
        XCTAssertThrowsError(try Device(options: .fromEnvironment(["RETORT_MEMORY_LIMIT": "lots"]))) { error in
            XCTAssert("\(error)".contains(#"RETORT_MEMORY_LIMIT="lots" is not a size"#), "\(error)")
        }
    }

    func testAllocationsBeyondTheLimitFailAndFreedMemoryIsReused() throws {
        var options = Device.Options.fromEnvironment()
        options.memoryLimit = 1 << 20
        let device = try Device(options: options)
        var first: Buffer? = try device.makeBuffer(byteCount: 600 << 10)
        XCTAssertLessThanOrEqual(device.reservedBytes, 1 << 20)
        XCTAssertThrowsError(try device.makeBuffer(byteCount: 600 << 10)) { error in
            guard case VulkanError.outOfMemory(let detail) = error else { return XCTFail("\(error)") }
            XCTAssert(detail.hasPrefix("a buffer of 600 KiB does not fit in the 1 MiB limit (RETORT_MEMORY_LIMIT); "
                                       + "live buffers hold 600 KiB"), detail)
        }
        first = nil
        XCTAssertNil(first)
        XCTAssertEqual(device.bytesInUse, 0)
        XCTAssertNoThrow(try device.makeBuffer(byteCount: 1 << 20), "the freed range is whole again")
    }
}
