import Retort

// Each layer's evaluation-mode forward pass as ONNX nodes; initializers take the layer's state-dict names.

extension Conv2d: ONNXExportable {
    /// `Conv` (weight `[O, I/groups, K, K]`, bias `[O]`); with the batch norm the network pairs with this
    /// convolution folded in (``Module/foldBatchNorms()``'s math), so that norm exports nothing.
    public func exportONNX(_ input: ONNXValueInfo, into graph: ONNXGraphBuilder) throws -> ONNXValueInfo {
        let (outputs, kernel) = (weight.shape[0], weight.shape[2])
        guard input.sampleShape.count == 3, input.sampleShape[0] == weight.shape[1] * groups,
              let height = ONNXGraphBuilder.outputSize(input.sampleShape[1], kernel: kernel, stride: stride, padding: padding,
                                                       dilation: dilation),
              let width = ONNXGraphBuilder.outputSize(input.sampleShape[2], kernel: kernel, stride: stride, padding: padding,
                                                      dilation: dilation) else {
            throw ONNXExportError.invalidShape(op: "Conv \(graph.name(of: self))", shapes: [input.sampleShape],
                                               expected: "[N, \(weight.shape[1] * groups), H, W] at least as large as the kernel")
        }
        let name = graph.name(of: self)
        let values: (weight: [Float], bias: [Float]?)
        if let norm = graph.norm(pairedWith: self) {
            values = try foldedValues(with: norm)
        } else {
            values = (try weight.toArray(), try bias?.toArray())
        }
        var inputs = [input.name, graph.constant(name + ".weight", floats: values.weight, shape: weight.shape)]
        if let bias = values.bias { inputs.append(graph.constant(name + ".bias", floats: bias, shape: [outputs])) }
        let attributes = [ONNXAttribute("kernel_shape", .ints([kernel, kernel])), ONNXAttribute("strides", .ints([stride, stride])),
                          ONNXAttribute("pads", .ints([padding, padding, padding, padding])),
                          ONNXAttribute("dilations", .ints([dilation, dilation])), ONNXAttribute("group", .int(groups))]
        return graph.node("Conv", inputs, attributes: attributes, name: name, outputShape: [outputs, height, width])
    }
}

extension BatchNorm2d: ONNXExportable {
    /// Nothing when folded into the convolution before it; otherwise `BatchNormalization` with the
    /// running statistics (evaluation mode).
    public func exportONNX(_ input: ONNXValueInfo, into graph: ONNXGraphBuilder) throws -> ONNXValueInfo {
        if graph.isFolded(self) { return input }
        let channels = weight.shape[0]
        guard input.sampleShape.first == channels else {
            throw ONNXExportError.invalidShape(op: "BatchNormalization \(graph.name(of: self))", shapes: [input.sampleShape],
                                               expected: "[N, \(channels), …]")
        }
        let name = graph.name(of: self)
        let members = [("weight", weight), ("bias", bias), ("running_mean", runningMean), ("running_var", runningVariance)]
        let inputs = try [input.name] + members
            .map { graph.constant(name + "." + $0.0, floats: try $0.1.toArray(), shape: [channels]) }
        return graph.node("BatchNormalization", inputs, attributes: [ONNXAttribute("epsilon", .float(epsilon))], name: name,
                          outputShape: input.sampleShape)
    }
}

extension ReLU: ONNXExportable {
    public func exportONNX(_ input: ONNXValueInfo, into graph: ONNXGraphBuilder) throws -> ONNXValueInfo { graph.relu(input) }
}

extension ReLU6: ONNXExportable {
    /// `Clip(x, 0, 6)`.
    public func exportONNX(_ input: ONNXValueInfo, into graph: ONNXGraphBuilder) throws -> ONNXValueInfo {
        graph.clipped(input, low: 0, high: 6)
    }
}

extension MaxPool2d: ONNXExportable {
    /// `MaxPool` (floor mode).
    public func exportONNX(_ input: ONNXValueInfo, into graph: ONNXGraphBuilder) throws -> ONNXValueInfo {
        try graph.pooled("MaxPool", input, kernel: kernel, stride: stride, padding: padding, name: graph.name(of: self))
    }
}

extension AvgPool2d: ONNXExportable {
    /// `AveragePool` (floor mode, padding counted in the divisor).
    public func exportONNX(_ input: ONNXValueInfo, into graph: ONNXGraphBuilder) throws -> ONNXValueInfo {
        try graph.pooled("AveragePool", input, kernel: kernel, stride: stride, padding: padding, name: graph.name(of: self))
    }
}

extension AdaptiveAvgPool2d: ONNXExportable {
    /// `GlobalAveragePool`: `[N, C, H, W]` → `[N, C, 1, 1]`.
    public func exportONNX(_ input: ONNXValueInfo, into graph: ONNXGraphBuilder) throws -> ONNXValueInfo {
        guard input.sampleShape.count == 3 else {
            throw ONNXExportError.invalidShape(op: "GlobalAveragePool", shapes: [input.sampleShape], expected: "[N, C, H, W]")
        }
        return graph.node("GlobalAveragePool", [input.name], name: graph.name(of: self), outputShape: [input.sampleShape[0], 1, 1])
    }
}

extension Flatten: ONNXExportable {
    /// `Flatten` from axis 1.
    public func exportONNX(_ input: ONNXValueInfo, into graph: ONNXGraphBuilder) throws -> ONNXValueInfo {
        graph.flattened(input, name: graph.name(of: self))
    }
}

extension Linear: ONNXExportable {
    /// `Gemm` with `transB` (the weight stays `[outputs, inputs]`).
    public func exportONNX(_ input: ONNXValueInfo, into graph: ONNXGraphBuilder) throws -> ONNXValueInfo {
        let (outputs, inputs) = (weight.shape[0], weight.shape[1])
        guard input.sampleShape == [inputs] else {
            throw ONNXExportError.invalidShape(op: "Gemm \(graph.name(of: self))", shapes: [input.sampleShape], expected: "[N, \(inputs)]")
        }
        let name = graph.name(of: self)
        var operands = [input.name, graph.constant(name + ".weight", floats: try weight.toArray(), shape: weight.shape)]
        if let bias { operands.append(graph.constant(name + ".bias", floats: try bias.toArray(), shape: [outputs])) }
        return graph.node("Gemm", operands, attributes: [ONNXAttribute("transB", .int(1))], name: name, outputShape: [outputs])
    }
}

extension Dropout: ONNXExportable {
    /// Nothing: dropout is the identity in evaluation mode.
    public func exportONNX(_ input: ONNXValueInfo, into graph: ONNXGraphBuilder) throws -> ONNXValueInfo { input }
}

extension Identity: ONNXExportable {
    public func exportONNX(_ input: ONNXValueInfo, into graph: ONNXGraphBuilder) throws -> ONNXValueInfo { input }
}

extension Sequential: ONNXExportable {
    /// The children in order.
    public func exportONNX(_ input: ONNXValueInfo, into graph: ONNXGraphBuilder) throws -> ONNXValueInfo {
        try graph.apply(layers, to: input)
    }
}
