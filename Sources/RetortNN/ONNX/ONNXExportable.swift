import Retort

/// A module that writes its evaluation-mode forward pass into an ONNX graph.
///
/// Each layer exports itself (`Conv2d` as `Conv`, with the batch norm the network pairs with it folded
/// in; `ReLU` as `Relu`; `Linear` as `Gemm`; dropout as nothing), and a block or model exports by
/// applying its children in the order its forward pass runs them (``ONNXGraphBuilder/apply(_:to:)``)
/// and the builder's shared ops between them (`add`, `concatenated`, `channelShuffled`,
/// `globalAveragePooled`). A model whose forward pass is its layers in order needs only that.
public protocol ONNXExportable: Module {
    /// Adds this module's nodes, applied to `input`, to `graph` and returns their output.
    func exportONNX(_ input: ONNXValueInfo, into graph: ONNXGraphBuilder) throws -> ONNXValueInfo
}

extension Classifier {
    /// This classifier's evaluation-mode forward pass as an ONNX model (opset 17): input `"input"`
    /// `[N, C, H, W]` of `inputShape` `[C, H, W]`, output `"logits"` `[N, classes]`, the batch `N`
    /// dynamic; initializers carry the state-dict names (a folded convolution keeps its own).
    /// - Throws: ``ONNXExportError`` for a module with no export or shapes that do not fit.
    public func onnxModel(inputShape: [Int], name: String) throws -> ONNXModel {
        guard inputShape.count == 3, inputShape.allSatisfy({ $0 > 0 }) else {
            throw ONNXExportError.invalidShape(op: name, shapes: [inputShape], expected: "an input [N, C, H, W]")
        }
        let graph = try ONNXGraphBuilder(network: self)
        let input = graph.input("input", sampleShape: inputShape)
        let output = try graph.apply(self, to: input)
        guard output.sampleShape.count == 1 else {
            throw ONNXExportError.invalidShape(op: name, shapes: [output.sampleShape], expected: "logits [N, classes]")
        }
        return ONNXModel(graph: graph.graph(name: name, input: input, output: output))
    }
}
