import XCTest
@testable import RetortNN

/// Each message's bytes, worked out by hand from onnx.proto's field numbers and the protobuf wire format
/// (key = field << 3 | wire type: 0 varint, 2 length-delimited, 5 fixed32).
final class ONNXProtoTests: XCTestCase {
    private let one: [UInt8] = [0x00, 0x00, 0x80, 0x3F]  // 1.0 as a little-endian float

    func testAttributesOfEachKind() {
        let axis: [UInt8] = [0x0A, 0x04] + Array("axis".utf8)
        // i (3): 0x18 1; type (20, varint): key 160 = 0xA0 0x01, INT = 2.
        XCTAssertEqual(ONNXAttribute("axis", .int(1)).message.bytes, axis + [0x18, 0x01, 0xA0, 0x01, 0x02])
        // ints (8): one field per value, unpacked; INTS = 7.
        XCTAssertEqual(ONNXAttribute("axis", .ints([1, 300])).message.bytes,
                       axis + [0x40, 0x01, 0x40, 0xAC, 0x02, 0xA0, 0x01, 0x07])
        // f (2, fixed32): 0x15 then the float; FLOAT = 1.
        XCTAssertEqual(ONNXAttribute("axis", .float(1)).message.bytes, axis + [0x15] + one + [0xA0, 0x01, 0x01])
    }

    func testTensorsCarryDimsTypeNameAndRawLittleEndianData() {
        // dims (1) 2 and 1, data_type (2) FLOAT = 1, name (8) "w", raw_data (9) 8 bytes.
        XCTAssertEqual(ONNXTensor(name: "w", floats: [1, -2], shape: [2, 1]).message.bytes,
                       [0x08, 0x02, 0x08, 0x01, 0x10, 0x01, 0x42, 0x01, 0x77, 0x4A, 0x08] + one + [0x00, 0x00, 0x00, 0xC0])
        // INT64 = 7; −1 is eight 0xFF bytes of raw data.
        XCTAssertEqual(ONNXTensor(name: "s", integers: [-1], shape: [1]).message.bytes,
                       [0x08, 0x01, 0x10, 0x07, 0x42, 0x01, 0x73, 0x4A, 0x08] + [UInt8](repeating: 0xFF, count: 8))
        XCTAssertEqual(ONNXTensor(name: "w", floats: [1, 2, 3, 4, 5, 6], shape: [2, 3]).count, 6)
    }

    /// The batch is `dim_param: "N"`, the other dimensions `dim_value`s, in a float tensor type.
    func testValueInfoLeavesTheBatchDynamic() {
        let batch: [UInt8] = [0x0A, 0x03, 0x12, 0x01, 0x4E]    // shape.dim (1) { dim_param (2): "N" }
        let three: [UInt8] = [0x0A, 0x02, 0x08, 0x03]          // shape.dim (1) { dim_value (1): 3 }
        let tensorType: [UInt8] = [0x08, 0x01, 0x12, 0x09] + batch + three  // elem_type (1) FLOAT, shape (2)
        let type: [UInt8] = [0x0A, 0x0D] + tensorType                        // tensor_type (1)
        XCTAssertEqual(ONNXValueInfo(name: "x", sampleShape: [3]).message.bytes, [0x0A, 0x01, 0x78, 0x12, 0x0F] + type)
    }

    func testNodeListsInputsOutputsNameTypeAndAttributes() {
        let node = ONNXNode("Relu", name: "r", inputs: ["a", "b"], outputs: ["c"], attributes: [ONNXAttribute("k", .int(0))])
        XCTAssertEqual(node.message.bytes, [0x0A, 0x01, 0x61, 0x0A, 0x01, 0x62, 0x12, 0x01, 0x63, 0x1A, 0x01, 0x72,
                                            0x22, 0x04] + Array("Relu".utf8) + [0x2A, 0x08, 0x0A, 0x01, 0x6B, 0x18, 0x00, 0xA0, 0x01, 0x02])
    }

    /// ir_version (1) 8, producer (2, 3), the graph (7), opset_import (8) { domain "" , version 17 }.
    func testModelHeaderNamesIRVersionProducerAndOpset() {
        let graph = ONNXGraph(name: "g", nodes: [], initializers: [], inputs: [], outputs: [])
        let bytes = ONNXModel(graph: graph, producerName: "retort", producerVersion: "1").serialized
        let expected: [UInt8] = [0x08, 0x08, 0x12, 0x06] + Array("retort".utf8) + [0x1A, 0x01, 0x31,
                                 0x3A, 0x03, 0x12, 0x01, 0x67, 0x42, 0x04, 0x0A, 0x00, 0x10, 0x11]
        XCTAssertEqual(bytes, expected)
    }

    /// Metadata follows the opset as `metadata_props` (14) entries, key (1) and value (2), in key order.
    func testMetadataIsWrittenAsStringEntriesInKeyOrder() {
        let graph = ONNXGraph(name: "g", nodes: [], initializers: [], inputs: [], outputs: [])
        let plain = ONNXModel(graph: graph, producerVersion: "1").serialized
        let bytes = ONNXModel(graph: graph, producerVersion: "1", metadata: ["b": "2", "a": "1"]).serialized
        XCTAssertEqual(Array(bytes.prefix(plain.count)), plain)
        XCTAssertEqual(Array(bytes.dropFirst(plain.count)),
                       [0x72, 0x06, 0x0A, 0x01, 0x61, 0x12, 0x01, 0x31, 0x72, 0x06, 0x0A, 0x01, 0x62, 0x12, 0x01, 0x32])
    }

    /// Graph fields in order: node (1), name (2), initializer (5), input (11), output (12).
    func testGraphFieldNumbers() {
        let graph = ONNXGraph(name: "g", nodes: [ONNXNode("Relu", name: "r", inputs: ["x"], outputs: ["y"])],
                              initializers: [ONNXTensor(name: "w", floats: [1], shape: [1])],
                              inputs: [ONNXValueInfo(name: "x", sampleShape: [])], outputs: [ONNXValueInfo(name: "y", sampleShape: [])])
        let keys = fieldKeys(graph.message.bytes)
        XCTAssertEqual(keys, [0x0A, 0x12, 0x2A, 0x5A, 0x62])
        XCTAssertEqual(ONNXModel(graph: graph).parameterCount, 1)
    }

    /// The keys of a message's top-level fields (all length-delimited here).
    private func fieldKeys(_ bytes: [UInt8]) -> [UInt8] {
        var keys: [UInt8] = [], index = 0
        while index < bytes.count {
            keys.append(bytes[index])
            var length = 0, shift = 0
            index += 1
            while bytes[index] & 0x80 != 0 { length |= Int(bytes[index] & 0x7F) << shift; shift += 7; index += 1 }
            length |= Int(bytes[index]) << shift
            index += 1 + length
        }
        return keys
    }
}
