import Foundation
import XCTest
@testable import RetortCheckpoint
import RetortHostTestSupport

final class SafeTensorsTests: XCTestCase {
    // MARK: Round trips

    func testRoundTripOfEveryDType() throws {
        var tensors: [String: HostTensor] = [
            "f32": try HostTensor([1.5, -0.0, .infinity, 3e-38, 7] as [Float], shape: [5]),
            "f64": try HostTensor([0.1, -1e300] as [Double], shape: [2, 1]),
            "i64": try HostTensor([Int64.min, -1, 0, Int64.max] as [Int64], shape: [2, 2]),
            "i32": try HostTensor([Int32.min, 5, Int32.max] as [Int32], shape: [3]),
            "i16": try HostTensor([-300, 300] as [Int16], shape: [2]),
            "i8": try HostTensor([-128, 127] as [Int8], shape: [1, 2]),
            "u8": try HostTensor([0, 200, 255] as [UInt8], shape: [3]),
            "u16": try HostTensor([65535] as [UInt16], shape: [1]),
            "u32": try HostTensor([UInt32.max] as [UInt32], shape: [1, 1, 1]),
            "u64": try HostTensor([UInt64.max] as [UInt64], shape: []),
            "bool": try HostTensor([true, false] as [Bool], shape: [2]),
            "f16": try HostTensor(converting: [1, -2, 0.5], to: .float16, shape: [3]),
            "bf16": try HostTensor(converting: [1, 3.140625], to: .bfloat16, shape: [2]),
            "f8e4m3": try HostTensor(dtype: .float8E4M3, shape: [2], bytes: [0x38, 0x7E]),
            "f8e5m2": try HostTensor(dtype: .float8E5M2, shape: [2], bytes: [0x3C, 0x7B]),
            "empty": try HostTensor([] as [Float], shape: [0, 3]),
        ]
        tensors["bn1.num_batches_tracked"] = HostTensor(scalar: Int64(391))
        XCTAssertEqual(Set(tensors.values.map(\.dtype)), Set(HostTensor.DType.allCases))
        let original = SafeTensors(tensors: tensors, metadata: ["format": "pt", "note": "quote \" backslash \\ newline \n é"])

        let bytes = try original.serialized()
        let loaded = try SafeTensors(data: bytes)
        XCTAssertEqual(loaded, original)
        XCTAssertEqual(try loaded["i64"]?.int64s(), [Int64.min, -1, 0, Int64.max])
        XCTAssertEqual(loaded["f16"]?.floats(), [1, -2, 0.5])
        XCTAssertEqual(loaded["f8e4m3"]?.floats(), [1, 448])
        // Serialization is deterministic.
        XCTAssertEqual(try loaded.serialized(), bytes)
    }

    func testFileRoundTripThroughDisk() throws {
        let directory = try makeTemporaryDirectory(for: self)
        let url = directory.appendingPathComponent("student.safetensors")
        let weights = SafeTensors(tensors: [
            "conv1.weight": try HostTensor((0..<54).map(Float.init), shape: [2, 3, 3, 3]),
            "bn1.num_batches_tracked": HostTensor(scalar: Int64(7)),
        ])
        try weights.write(to: url)
        XCTAssertEqual(try SafeTensors(contentsOf: url), weights)
    }

    // MARK: Writer matches the reference implementation byte for byte

    /// Expected bytes: the size prefix, then `header` padded with spaces to a multiple of 8, then `data`.
    private func referenceBytes(header: String, data: [UInt8] = []) -> Data {
        var text = Array(header.utf8)
        text += [UInt8](repeating: 0x20, count: (8 - text.count % 8) % 8)
        return Data(littleEndian(UInt64(text.count)) + text + data)
    }

    func testWriterMatchesReferenceLayout() throws {
        // The reference implementation's own test vectors (safetensors tensor.rs tests).
        let values = littleEndian([0, 1, 2, 3, 4, 5] as [Float])
        let threeD = SafeTensors(tensors: ["attn.0": try HostTensor(dtype: .float32, shape: [1, 2, 3], bytes: values)])
        let expected = referenceBytes(header: #"{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}"#, data: values)
        XCTAssertEqual(expected.count, 8 + 64 + 24)
        XCTAssertEqual(try threeD.serialized(), expected)

        let fourD = SafeTensors(tensors: ["attn0": try HostTensor(dtype: .float32, shape: [1, 1, 2, 3], bytes: values)])
        let padded = try fourD.serialized()
        XCTAssertEqual(padded, referenceBytes(header: #"{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}"#, data: values))
        XCTAssertEqual(padded.prefix(8), Data(littleEndian(UInt64(72))))
        XCTAssertEqual(padded[8 + 65..<8 + 72], Data(repeating: 0x20, count: 7))

        XCTAssertEqual(try SafeTensors().serialized(), Data(littleEndian(UInt64(8)) + Array("{}      ".utf8)))
        XCTAssertEqual(try SafeTensors(metadata: ["framework": "pt"]).serialized(),
                       referenceBytes(header: #"{"__metadata__":{"framework":"pt"}}"#))
    }

    func testWriterOrdersByDescendingDTypeThenName() throws {
        let file = SafeTensors(tensors: [
            "a": try HostTensor([1, 2, 3] as [UInt8], shape: [3]),
            "b": try HostTensor([1, 2] as [Float], shape: [2]),
            "c": HostTensor(scalar: Int64(9)),
            "B": try HostTensor([4] as [Float], shape: [1]),
        ], metadata: ["z": "1", "a": "2"])
        let header = #"{"__metadata__":{"a":"2","z":"1"},"#
            + #""c":{"dtype":"I64","shape":[],"data_offsets":[0,8]},"#
            + #""B":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},"#
            + #""b":{"dtype":"F32","shape":[2],"data_offsets":[12,20]},"#
            + #""a":{"dtype":"U8","shape":[3],"data_offsets":[20,23]}}"#
        let data = littleEndian(Int64(9)) + littleEndian([4, 1, 2] as [Float]) + [1, 2, 3]
        XCTAssertEqual(try file.serialized(), referenceBytes(header: header, data: data))
    }

    func testWriterRefusesReservedName() throws {
        let file = SafeTensors(tensors: ["__metadata__": HostTensor(scalar: Float(1))])
        assertThrows(SafeTensorsError.reservedName(file: "<memory>", name: "__metadata__")) {
            () throws(SafeTensorsError) in try file.serialized()
        }
    }

    // MARK: Files built byte by byte

    func testReadsHandBuiltFileWithPaddingZeroSizeScalarAndAnyEntryOrder() throws {
        // Entries out of offset order, metadata last, a zero-size tensor, a scalar, the header
        // padded with spaces (more than 8 of them), a name with escapes.
        let header = """
            {"layer1.0.bn1.num_batches_tracked": {"dtype": "I64", "shape": [], "data_offsets": [16, 24]},
             "fc.weight": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]},
             "empty": {"dtype": "F32", "shape": [3, 0], "data_offsets": [24, 24]},
             "h\\u00e9\\"x": {"dtype": "F16", "shape": [2], "data_offsets": [24, 28]},
             "__metadata__": {"format": "pt"}}
            """ + String(repeating: " ", count: 13)
        let data = littleEndian([1, 2, 3, 4] as [Float]) + littleEndian(Int64(42)) + [0x00, 0x3C, 0x00, 0xC0]
        let file = try SafeTensors(data: safetensorsFile(header: header, data: data), source: "hand.safetensors")

        XCTAssertEqual(file.names, ["empty", "fc.weight", "h\u{e9}\"x", "layer1.0.bn1.num_batches_tracked"])
        XCTAssertEqual(file.metadata, ["format": "pt"])
        XCTAssertEqual(file["fc.weight"]?.shape, [2, 2])
        XCTAssertEqual(file["fc.weight"]?.floats(), [1, 2, 3, 4])
        XCTAssertEqual(file["layer1.0.bn1.num_batches_tracked"]?.shape, [])
        XCTAssertEqual(try file["layer1.0.bn1.num_batches_tracked"]?.int64s(), [42])
        XCTAssertEqual(file["empty"]?.shape, [3, 0])
        XCTAssertEqual(file["empty"]?.bytes, [])
        XCTAssertEqual(file["empty"]?.floats(), [])
        XCTAssertEqual(file["h\u{e9}\"x"]?.floats(), [1, -2])
    }

    func testReadsEmptyFileAndBFloat16() throws {
        XCTAssertEqual(try SafeTensors(data: safetensorsFile(header: "{}")), SafeTensors())
        let header = #"{"w":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}}"#
        let file = try SafeTensors(data: safetensorsFile(header: header, data: [0x80, 0x3F, 0x49, 0x40]))
        XCTAssertEqual(file["w"]?.floats(), [1, 3.140625])
    }

    func testUnknownFieldsInAnEntryAreIgnoredAsByTheReference() throws {
        let header = #"{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"extra":[1,{"x":null}]}}"#
        XCTAssertEqual(try SafeTensors(data: safetensorsFile(header: header, data: [5]))["w"]?.bytes, [5])
    }
}
