import Retort
import RetortCheckpoint

// ONNX's protobuf messages (onnx/onnx.proto), as far as an exported classifier needs them, each with
// its field numbers:
//   ModelProto:     ir_version 1, producer_name 2, producer_version 3, graph 7, opset_import 8
//   OperatorSetId:  domain 1, version 2
//   GraphProto:     node 1, name 2, initializer 5, input 11, output 12
//   NodeProto:      input 1, output 2, name 3, op_type 4, attribute 5
//   AttributeProto: name 1, f 2, i 3, ints 8, type 20 (FLOAT 1, INT 2, INTS 7)
//   TensorProto:    dims 1, data_type 2 (FLOAT 1, INT64 7), name 8, raw_data 9 (little-endian values)
//   ValueInfoProto: name 1, type 2 → TypeProto.tensor_type 1 → elem_type 1, shape 2 → dim 1 → dim_value 1 | dim_param 2
// Repeated integers are written unpacked (one field each), which every protobuf reader accepts.

/// An ONNX `TensorProto`: a named constant (an initializer) with its shape and raw little-endian values.
public struct ONNXTensor: Equatable, Sendable {
    /// The element types used here (`TensorProto.DataType`).
    public enum DataType: Int64, Sendable {
        case float = 1, int64 = 7
    }

    public var name: String
    public var dims: [Int]
    public var dataType: DataType
    /// The values, little-endian.
    public var rawData: [UInt8]

    /// A float tensor.
    public init(name: String, floats: [Float], shape: [Int]) {
        self.name = name
        dims = shape
        dataType = .float
        rawData = floats.map { $0.bitPattern.littleEndian }.withUnsafeBytes { Array($0) }
    }

    /// An int64 tensor (shapes, split sizes).
    public init(name: String, integers: [Int64], shape: [Int]) {
        self.name = name
        dims = shape
        dataType = .int64
        rawData = integers.map { $0.littleEndian }.withUnsafeBytes { Array($0) }
    }

    /// The number of elements.
    public var count: Int { dims.reduce(1, *) }

    public var message: ProtobufWriter {
        var message = ProtobufWriter()
        for dim in dims { message.varint(1, Int64(dim)) }
        message.varint(2, dataType.rawValue)
        message.string(8, name)
        message.rawBytes(9, rawData)
        return message
    }
}

/// An ONNX `AttributeProto` of a node: a name and one integer, list of integers or float.
public struct ONNXAttribute: Equatable, Sendable {
    public enum Value: Equatable, Sendable {
        case int(Int)
        case ints([Int])
        case float(Float)
    }

    public var name: String
    public var value: Value

    public init(_ name: String, _ value: Value) {
        self.name = name
        self.value = value
    }

    public var message: ProtobufWriter {
        var message = ProtobufWriter()
        message.string(1, name)
        switch value {
        case .float(let number):
            message.float(2, number)
            message.varint(20, 1)
        case .int(let number):
            message.varint(3, Int64(number))
            message.varint(20, 2)
        case .ints(let numbers):
            for number in numbers { message.varint(8, Int64(number)) }
            message.varint(20, 7)
        }
        return message
    }
}

/// An ONNX `NodeProto`: one operator of the default domain applied to named values.
public struct ONNXNode: Equatable, Sendable {
    public var opType: String
    public var name: String
    public var inputs: [String]
    public var outputs: [String]
    public var attributes: [ONNXAttribute]

    public init(_ opType: String, name: String, inputs: [String], outputs: [String], attributes: [ONNXAttribute] = []) {
        (self.opType, self.name, self.inputs, self.outputs, self.attributes) = (opType, name, inputs, outputs, attributes)
    }

    public var message: ProtobufWriter {
        var message = ProtobufWriter()
        for input in inputs { message.string(1, input) }
        for output in outputs { message.string(2, output) }
        message.string(3, name)
        message.string(4, opType)
        for attribute in attributes { message.message(5, attribute.message) }
        return message
    }
}

/// An ONNX `ValueInfoProto`: a named float tensor of the graph (its input, its output, or a value between
/// nodes while modules export themselves) whose first dimension is the batch, left dynamic
/// (`dim_param: "N"`), and whose other dimensions are fixed.
public struct ONNXValueInfo: Equatable, Sendable {
    public var name: String
    /// The dimensions after the batch (`[C, H, W]` for images, `[classes]` for logits).
    public var sampleShape: [Int]

    public init(name: String, sampleShape: [Int]) {
        (self.name, self.sampleShape) = (name, sampleShape)
    }

    public var message: ProtobufWriter {
        var shape = ProtobufWriter()
        var batch = ProtobufWriter()
        batch.string(2, "N")
        shape.message(1, batch)
        for size in sampleShape {
            var dimension = ProtobufWriter()
            dimension.varint(1, Int64(size))
            shape.message(1, dimension)
        }
        var tensorType = ProtobufWriter()
        tensorType.varint(1, ONNXTensor.DataType.float.rawValue)
        tensorType.message(2, shape)
        var type = ProtobufWriter()
        type.message(1, tensorType)
        var message = ProtobufWriter()
        message.string(1, name)
        message.message(2, type)
        return message
    }
}

/// An ONNX `GraphProto`: nodes in topological order, their constants, one input and one output.
public struct ONNXGraph: Equatable, Sendable {
    public var name: String
    public var nodes: [ONNXNode]
    public var initializers: [ONNXTensor]
    public var inputs: [ONNXValueInfo]
    public var outputs: [ONNXValueInfo]

    public init(name: String, nodes: [ONNXNode], initializers: [ONNXTensor], inputs: [ONNXValueInfo], outputs: [ONNXValueInfo]) {
        (self.name, self.nodes, self.initializers, self.inputs, self.outputs) = (name, nodes, initializers, inputs, outputs)
    }

    public var message: ProtobufWriter {
        var message = ProtobufWriter()
        for node in nodes { message.message(1, node.message) }
        message.string(2, name)
        for initializer in initializers { message.message(5, initializer.message) }
        for input in inputs { message.message(11, input.message) }
        for output in outputs { message.message(12, output.message) }
        return message
    }
}

/// An ONNX `ModelProto`: the graph, the IR version and the operator set it is written for, and who wrote it.
public struct ONNXModel: Equatable, Sendable {
    /// IR version 8 (ONNX 1.10 and later read it).
    public static let irVersion = 8
    /// The default domain's operator set.
    public static let opsetVersion = 17

    public var graph: ONNXGraph
    public var producerName: String
    public var producerVersion: String
    /// `metadata_props`, written in key order: what a runtime needs beside the graph (the input
    /// normalization, the class names), as ONNX Runtime's `modelmeta.custom_metadata_map` shows them.
    public var metadata: [String: String]

    public init(graph: ONNXGraph, producerName: String = "retort", producerVersion: String = RetortVersion.string,
                metadata: [String: String] = [:]) {
        (self.graph, self.producerName, self.producerVersion, self.metadata) = (graph, producerName, producerVersion, metadata)
    }

    /// The `.onnx` file's bytes.
    public var serialized: [UInt8] {
        var opset = ProtobufWriter()
        opset.string(1, "")
        opset.varint(2, Int64(Self.opsetVersion))
        var message = ProtobufWriter()
        message.varint(1, Int64(Self.irVersion))
        message.string(2, producerName)
        message.string(3, producerVersion)
        message.message(7, graph.message)
        message.message(8, opset)
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            var entry = ProtobufWriter()
            entry.string(1, key)
            entry.string(2, value)
            message.message(14, entry)
        }
        return message.bytes
    }

    /// The number of values in the graph's float initializers (the exported parameters, after folding).
    public var parameterCount: Int {
        graph.initializers.filter { $0.dataType == .float }.reduce(0) { $0 + $1.count }
    }
}
