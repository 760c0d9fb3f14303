import XCTest
@testable import RetortCheckpoint
import RetortHostTestSupport

final class HostTensorTests: XCTestCase {
    func testTypedArraysStoreLittleEndianBytes() throws {
        let floats = try HostTensor([1.0, -2.5] as [Float], shape: [2])
        XCTAssertEqual(floats.dtype, .float32)
        XCTAssertEqual(floats.bytes, littleEndian([1.0, -2.5] as [Float]))

        let longs = try HostTensor([1, -2, Int64.max] as [Int64], shape: [3, 1])
        XCTAssertEqual(longs.dtype, .int64)
        XCTAssertEqual(longs.bytes, littleEndian([1, -2, Int64.max] as [Int64]))
        XCTAssertEqual(try longs.int64s(), [1, -2, Int64.max])

        let ints = try HostTensor([7, -8] as [Int32], shape: [2])
        XCTAssertEqual(ints.bytes, littleEndian(Int32(7)) + littleEndian(Int32(-8)))

        let flags = try HostTensor([true, false, true], shape: [3])
        XCTAssertEqual(flags.dtype, .bool)
        XCTAssertEqual(flags.bytes, [1, 0, 1])
        XCTAssertEqual(flags.floats(), [1, 0, 1])
        XCTAssertEqual(try flags.int64s(), [1, 0, 1])
    }

    func testScalarHasEmptyShapeAndOneElement() throws {
        let tracked = HostTensor(scalar: Int64(12_345))
        XCTAssertEqual(tracked.shape, [])
        XCTAssertEqual(tracked.elementCount, 1)
        XCTAssertEqual(tracked.bytes, littleEndian(Int64(12_345)))
        XCTAssertEqual(try tracked.int64s(), [12_345])
        XCTAssertEqual(tracked.floats(), [12_345])
    }

    func testEveryIntegerDTypeConverts() throws {
        XCTAssertEqual(try HostTensor([-128, 127] as [Int8], shape: [2]).int64s(), [-128, 127])
        XCTAssertEqual(try HostTensor([0, 255] as [UInt8], shape: [2]).int64s(), [0, 255])
        XCTAssertEqual(try HostTensor([-32768, 32767] as [Int16], shape: [2]).int64s(), [-32768, 32767])
        XCTAssertEqual(try HostTensor([65535] as [UInt16], shape: [1]).int64s(), [65535])
        XCTAssertEqual(try HostTensor([Int32.min] as [Int32], shape: [1]).int64s(), [Int64(Int32.min)])
        XCTAssertEqual(try HostTensor([UInt32.max] as [UInt32], shape: [1]).int64s(), [Int64(UInt32.max)])
        XCTAssertEqual(try HostTensor([UInt64(Int64.max)] as [UInt64], shape: [1]).int64s(), [Int64.max])
        XCTAssertEqual(try HostTensor([-3, 4] as [Int8], shape: [2]).floats(), [-3, 4])
        XCTAssertEqual(try HostTensor([0.1, -1e300] as [Double], shape: [2]).doubles(), [0.1, -1e300])
        XCTAssertEqual(try HostTensor([0.1] as [Double], shape: [1]).floats(), [Float(0.1)])
    }

    func testConversionErrors() throws {
        assertThrows(HostTensorError.unsupportedConversion(from: .float32, to: "Int64")) {
            () throws(HostTensorError) in try HostTensor([1.0] as [Float], shape: [1]).int64s()
        }
        assertThrows(HostTensorError.valueOutOfRange(dtype: .uint64, index: 1, to: "Int64")) {
            () throws(HostTensorError) in try HostTensor([1, UInt64.max] as [UInt64], shape: [2]).int64s()
        }
        assertThrows(HostTensorError.elementCountMismatch(shape: [2, 2], count: 3)) {
            () throws(HostTensorError) in try HostTensor([1, 2, 3] as [Float], shape: [2, 2])
        }
        assertThrows(HostTensorError.invalidShape([2, -1])) {
            () throws(HostTensorError) in try HostTensor(dtype: .float32, shape: [2, -1], bytes: [])
        }
        assertThrows(HostTensorError.byteCountMismatch(dtype: .float32, shape: [3], byteCount: 8)) {
            () throws(HostTensorError) in try HostTensor(dtype: .float32, shape: [3], bytes: [UInt8](repeating: 0, count: 8))
        }
        assertThrows(HostTensorError.invalidShape([Int.max, 2])) {
            () throws(HostTensorError) in try HostTensor(dtype: .uint8, shape: [Int.max, 2], bytes: [])
        }
        let message = HostTensorError.byteCountMismatch(dtype: .float32, shape: [3], byteCount: 8).description
        XCTAssert(message.contains("12") && message.contains("[3]") && message.contains("F32"), message)
    }

    func testHalfPrecisionDecodesKnownBitPatterns() {
        let cases: [(UInt16, Float)] = [
            (0x3C00, 1), (0xC000, -2), (0x7BFF, 65504), (0x0001, 0x1p-24), (0x03FF, 1023 * 0x1p-24),
            (0x0400, 0x1p-14), (0x3555, 0.333251953125), (0x7C00, .infinity), (0xFC00, -.infinity),
        ]
        for (bits, value) in cases {
            XCTAssertEqual(ReducedPrecision.float(fromFloat16: bits), value, "F16 0x\(String(bits, radix: 16))")
        }
        XCTAssert(ReducedPrecision.float(fromFloat16: 0x7E00).isNaN)
        let negativeZero = ReducedPrecision.float(fromFloat16: 0x8000)
        XCTAssertEqual(negativeZero, 0)
        XCTAssertEqual(negativeZero.sign, .minus)
    }

    func testHalfPrecisionEncodesWithRoundToNearestEven() {
        let cases: [(Float, UInt16)] = [
            (1, 0x3C00), (-2, 0xC000), (65504, 0x7BFF), (1.0 / 3.0, 0x3555),
            (1 + 0x1p-11, 0x3C00),          // tie between 0x3C00 and 0x3C01 → even
            (1 + 3 * 0x1p-11, 0x3C02),      // tie between 0x3C01 and 0x3C02 → even
            (1 + 0x1p-11 + 0x1p-20, 0x3C01),// just above the tie → up
            (65520, 0x7C00),                // tie between the largest half and 2^16 → infinity
            (1e6, 0x7C00), (-1e6, 0xFC00),
            (0x1p-24, 0x0001), (0x1p-25, 0x0000), (3 * 0x1p-26, 0x0001), (1e-9, 0x0000),
            (1023.5 * 0x1p-24, 0x0400),     // largest subnormal rounds up into the smallest normal
            (-0.0, 0x8000), (.infinity, 0x7C00),
        ]
        for (value, bits) in cases {
            XCTAssertEqual(ReducedPrecision.float16(from: value), bits, "F16 of \(value)")
        }
        XCTAssert(ReducedPrecision.float(fromFloat16: ReducedPrecision.float16(from: .nan)).isNaN)
        // Every finite half survives Float and back.
        for bits in UInt16(0)...UInt16.max where bits & 0x7C00 != 0x7C00 {
            XCTAssertEqual(ReducedPrecision.float16(from: ReducedPrecision.float(fromFloat16: bits)), bits)
        }
    }

    func testBFloat16AndFloat8() {
        XCTAssertEqual(ReducedPrecision.float(fromBFloat16: 0x3F80), 1)
        XCTAssertEqual(ReducedPrecision.float(fromBFloat16: 0x4049), 3.140625)
        XCTAssertEqual(ReducedPrecision.bfloat16(from: 1), 0x3F80)
        XCTAssertEqual(ReducedPrecision.bfloat16(from: 1 + 0x1p-8), 0x3F80)      // tie → even
        XCTAssertEqual(ReducedPrecision.bfloat16(from: 1 + 3 * 0x1p-8), 0x3F82)  // tie → even
        XCTAssertEqual(ReducedPrecision.bfloat16(from: Float.pi), 0x4049)
        XCTAssert(ReducedPrecision.float(fromBFloat16: ReducedPrecision.bfloat16(from: .nan)).isNaN)

        let e4m3: [(UInt8, Float)] = [(0x38, 1), (0x7E, 448), (0xFE, -448), (0x01, 0x1p-9), (0x08, 0x1p-6), (0x3C, 1.5)]
        for (byte, value) in e4m3 { XCTAssertEqual(ReducedPrecision.float(fromFloat8E4M3: byte), value) }
        XCTAssert(ReducedPrecision.float(fromFloat8E4M3: 0x7F).isNaN)
        let e5m2: [(UInt8, Float)] = [(0x3C, 1), (0x7B, 57344), (0x01, 0x1p-16), (0x7C, .infinity), (0xC0, -2)]
        for (byte, value) in e5m2 { XCTAssertEqual(ReducedPrecision.float(fromFloat8E5M2: byte), value) }
    }

    func testConvertingInitializerWritesReducedFormats() throws {
        let values: [Float] = [1, -2, 0.5, 65504]
        let half = try HostTensor(converting: values, to: .float16, shape: [2, 2])
        XCTAssertEqual(half.dtype, .float16)
        XCTAssertEqual(half.bytes, [0x00, 0x3C, 0x00, 0xC0, 0x00, 0x38, 0xFF, 0x7B])
        XCTAssertEqual(half.floats(), values)
        let brain = try HostTensor(converting: [1, -2], to: .bfloat16, shape: [2])
        XCTAssertEqual(brain.bytes, [0x80, 0x3F, 0x00, 0xC0])
        XCTAssertEqual(brain.floats(), [1, -2])
        XCTAssertEqual(try HostTensor(converting: [0.25], to: .float64, shape: []).doubles(), [0.25])
        assertThrows(HostTensorError.unsupportedConversion(from: .int32, to: "[Float] (only F32, F64, F16 and BF16 are written from Float)")) {
            () throws(HostTensorError) in try HostTensor(converting: [1], to: .int32, shape: [1])
        }
    }
}
