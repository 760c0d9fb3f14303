import Retort

/// Why a network cannot be exported to ONNX.
public enum ONNXExportError: Error, Equatable, CustomStringConvertible {
    /// A module with no ``ONNXExportable`` conformance.
    case unsupportedModule(type: String, name: String)
    /// An op met inputs of shapes it cannot take (per sample, the batch left out).
    case invalidShape(op: String, shapes: [[Int]], expected: String)

    public var description: String {
        switch self {
        case .unsupportedModule(let type, let name):
            return "cannot export \(name.isEmpty ? "the model" : name) to ONNX: \(type) has no ONNX export "
                + "(conform it to ONNXExportable, composing the layers it runs)"
        case .invalidShape(let op, let shapes, let expected):
            let listed = shapes.map { "[N, " + $0.map(String.init).joined(separator: ", ") + "]" }.joined(separator: " and ")
            return "cannot export \(op) to ONNX: got \(listed), expected \(expected)"
        }
    }
}

/// Collects the nodes and constants of an ONNX graph while modules export themselves into it
/// (``ONNXExportable``), and knows the network they belong to: each module's dotted parameter name
/// (initializers keep the state-dict names) and the convolution → batch norm pairs the network
/// declares (``BatchNormFoldable``), which export as one `Conv` with the norm folded in.
public final class ONNXGraphBuilder {
    public private(set) var nodes: [ONNXNode] = []
    public private(set) var initializers: [ONNXTensor] = []
    private let moduleNames: [ObjectIdentifier: String]
    /// Each paired convolution's batch norm.
    private let pairedNorms: [ObjectIdentifier: BatchNorm2d]
    /// The batch norms folded into the convolution before them.
    private let foldedNorms: Set<ObjectIdentifier>
    private var usedNames: Set<String> = []

    /// A builder for the graph of `network` (its pairs must fit: ``BatchNormFoldingError/mismatchedPair(convolution:norm:)``).
    public init(network: any Module) throws {
        var names: [ObjectIdentifier: String] = [:]
        for (name, entry) in network.walk() { if case .child(_, let child) = entry { names[ObjectIdentifier(child)] = name } }
        moduleNames = names
        let pairs = try network.namedConvolutionNormPairs()
        pairedNorms = Dictionary(uniqueKeysWithValues: pairs.map { (ObjectIdentifier($0.convolution), $0.norm) })
        foldedNorms = Set(pairs.map { ObjectIdentifier($0.norm) })
    }

    /// The module's dotted name in the network (`layer1.0.conv1`); empty for the network itself.
    public func name(of module: any Module) -> String { moduleNames[ObjectIdentifier(module)] ?? "" }

    /// The batch norm that folds into `convolution`, if the network pairs them.
    func norm(pairedWith convolution: Conv2d) -> BatchNorm2d? { pairedNorms[ObjectIdentifier(convolution)] }

    /// Whether `norm` is folded into the convolution before it (it then exports nothing).
    func isFolded(_ norm: BatchNorm2d) -> Bool { foldedNorms.contains(ObjectIdentifier(norm)) }

    /// `module` applied to `input`, through its ``ONNXExportable`` conformance.
    public func apply(_ module: any Module, to input: ONNXValueInfo) throws -> ONNXValueInfo {
        guard let exportable = module as? any ONNXExportable else {
            throw ONNXExportError.unsupportedModule(type: String(describing: type(of: module)), name: name(of: module))
        }
        return try exportable.exportONNX(input, into: self)
    }

    /// `modules` applied in order to `input`.
    public func apply(_ modules: [any Module], to input: ONNXValueInfo) throws -> ONNXValueInfo {
        try modules.reduce(input) { try apply($1, to: $0) }
    }

    // MARK: Nodes and constants

    /// The graph's input, named `name`, with `sampleShape` after the batch.
    public func input(_ name: String, sampleShape: [Int]) -> ONNXValueInfo {
        ONNXValueInfo(name: uniqueName(name), sampleShape: sampleShape)
    }

    /// Adds a float constant named `name` (made unique) and returns the name used.
    @discardableResult
    public func constant(_ name: String, floats: [Float], shape: [Int]) -> String {
        let unique = uniqueName(name)
        initializers.append(ONNXTensor(name: unique, floats: floats, shape: shape))
        return unique
    }

    /// Adds an int64 vector constant (a shape, split sizes) and returns its name.
    public func constant(_ name: String, integers: [Int]) -> String {
        let unique = uniqueName(name)
        initializers.append(ONNXTensor(name: unique, integers: integers.map(Int64.init), shape: [integers.count]))
        return unique
    }

    /// Adds an `opType` node with one output per entry of `outputShapes`, named after `name`
    /// (the op type when nil), and returns its outputs.
    public func node(_ opType: String, _ inputs: [String], attributes: [ONNXAttribute] = [], name: String? = nil,
                     outputShapes: [[Int]]) -> [ONNXValueInfo] {
        let nodeName = uniqueName(name.flatMap { $0.isEmpty ? nil : $0 } ?? opType)
        let outputs = outputShapes.count == 1 ? [ONNXValueInfo(name: nodeName, sampleShape: outputShapes[0])]
            : outputShapes.enumerated().map { ONNXValueInfo(name: uniqueName("\(nodeName):\($0.offset)"), sampleShape: $0.element) }
        nodes.append(ONNXNode(opType, name: nodeName, inputs: inputs, outputs: outputs.map(\.name), attributes: attributes))
        return outputs
    }

    /// Adds an `opType` node with one output of shape `outputShape`.
    public func node(_ opType: String, _ inputs: [String], attributes: [ONNXAttribute] = [], name: String? = nil,
                     outputShape: [Int]) -> ONNXValueInfo {
        node(opType, inputs, attributes: attributes, name: name, outputShapes: [outputShape])[0]
    }

    // MARK: Ops several models share

    /// `conv`, then `norm` (folded into it when the network pairs them), then ReLU: most models' stem.
    public func convolutionNormReLU(_ conv: Conv2d, _ norm: BatchNorm2d, _ x: ONNXValueInfo) throws -> ONNXValueInfo {
        try relu(apply([conv, norm], to: x))
    }

    /// The logits of a classifier that pools its last map globally: global average pooling, flattening, `classifier`.
    public func pooledLogits(_ map: ONNXValueInfo, classifier: any Module) throws -> ONNXValueInfo {
        try apply(classifier, to: globalAveragePooled(map))
    }

    /// `max(x, 0)`.
    public func relu(_ x: ONNXValueInfo) -> ONNXValueInfo { node("Relu", [x.name], outputShape: x.sampleShape) }

    /// `min(max(x, low), high)` (`Clip`, its bounds scalar constants): ReLU6 is `clipped(x, low: 0, high: 6)`.
    public func clipped(_ x: ONNXValueInfo, low: Float, high: Float) -> ONNXValueInfo {
        node("Clip", [x.name, constant("clip_low", floats: [low], shape: []), constant("clip_high", floats: [high], shape: [])],
             outputShape: x.sampleShape)
    }

    /// The element-wise sum of two values of one shape (a residual connection).
    public func add(_ a: ONNXValueInfo, _ b: ONNXValueInfo) throws -> ONNXValueInfo {
        guard a.sampleShape == b.sampleShape else {
            throw ONNXExportError.invalidShape(op: "Add", shapes: [a.sampleShape, b.sampleShape], expected: "equal shapes")
        }
        return node("Add", [a.name, b.name], outputShape: a.sampleShape)
    }

    /// Feature maps concatenated along the channels.
    public func concatenated(_ values: [ONNXValueInfo]) throws -> ONNXValueInfo {
        guard let first = values.first, values.allSatisfy({ $0.sampleShape.dropFirst() == first.sampleShape.dropFirst() }) else {
            throw ONNXExportError.invalidShape(op: "Concat", shapes: values.map(\.sampleShape), expected: "maps of one size")
        }
        let channels = values.reduce(0) { $0 + $1.sampleShape[0] }
        return node("Concat", values.map(\.name), attributes: [ONNXAttribute("axis", .int(1))],
                    outputShape: [channels] + first.sampleShape.dropFirst())
    }

    /// A feature map split along the channels into parts of `sizes` channels.
    public func split(_ x: ONNXValueInfo, sizes: [Int]) throws -> [ONNXValueInfo] {
        guard x.sampleShape.count == 3, sizes.reduce(0, +) == x.sampleShape[0] else {
            throw ONNXExportError.invalidShape(op: "Split \(sizes)", shapes: [x.sampleShape], expected: "[N, \(sizes.reduce(0, +)), H, W]")
        }
        let sizesName = constant("split_sizes", integers: sizes)
        return node("Split", [x.name, sizesName], attributes: [ONNXAttribute("axis", .int(1))],
                    outputShapes: sizes.map { [$0] + x.sampleShape.dropFirst() })
    }

    /// ShuffleNet's channel shuffle: `[N, C, H, W]` viewed as `[N, g, C/g, H, W]`, axes 1 and 2 swapped,
    /// viewed as `[N, C, H, W]` again (Reshape, Transpose, Reshape; a 0 in a shape keeps the batch).
    public func channelShuffled(_ x: ONNXValueInfo, groups: Int) throws -> ONNXValueInfo {
        guard x.sampleShape.count == 3, groups > 0, x.sampleShape[0] % groups == 0 else {
            throw ONNXExportError.invalidShape(op: "channel shuffle (\(groups) groups)", shapes: [x.sampleShape],
                                               expected: "[N, C, H, W] with C divisible by the groups")
        }
        let (c, h, w) = (x.sampleShape[0], x.sampleShape[1], x.sampleShape[2])
        let grouped = node("Reshape", [x.name, constant("shuffle_shape", integers: [0, groups, c / groups, h, w])],
                           outputShape: [groups, c / groups, h, w])
        let swapped = node("Transpose", [grouped.name], attributes: [ONNXAttribute("perm", .ints([0, 2, 1, 3, 4]))],
                           outputShape: [c / groups, groups, h, w])
        return node("Reshape", [swapped.name, constant("unshuffle_shape", integers: [0, c, h, w])], outputShape: x.sampleShape)
    }

    /// The mean of each channel, flattened: `[N, C, H, W]` → `[N, C]` (GlobalAveragePool, Flatten).
    public func globalAveragePooled(_ x: ONNXValueInfo) throws -> ONNXValueInfo {
        guard x.sampleShape.count == 3 else {
            throw ONNXExportError.invalidShape(op: "global average pooling", shapes: [x.sampleShape], expected: "[N, C, H, W]")
        }
        return flattened(node("GlobalAveragePool", [x.name], outputShape: [x.sampleShape[0], 1, 1]))
    }

    /// Every dimension after the batch as one (`Flatten` from axis 1).
    public func flattened(_ x: ONNXValueInfo, name: String? = nil) -> ONNXValueInfo {
        node("Flatten", [x.name], attributes: [ONNXAttribute("axis", .int(1))], name: name, outputShape: [x.sampleShape.reduce(1, *)])
    }

    /// A square window (`MaxPool` or `AveragePool`, floor mode, zero padding counted in an average's
    /// divisor as PyTorch's defaults).
    public func pooled(_ opType: String, _ x: ONNXValueInfo, kernel: Int, stride: Int, padding: Int,
                       name: String? = nil) throws -> ONNXValueInfo {
        guard x.sampleShape.count == 3, let size = Self.outputSize(x.sampleShape[1], kernel: kernel, stride: stride, padding: padding),
              let width = Self.outputSize(x.sampleShape[2], kernel: kernel, stride: stride, padding: padding) else {
            throw ONNXExportError.invalidShape(op: "\(opType) \(kernel)×\(kernel)", shapes: [x.sampleShape],
                                               expected: "[N, C, H, W] at least as large as the window")
        }
        var attributes = [ONNXAttribute("kernel_shape", .ints([kernel, kernel])), ONNXAttribute("strides", .ints([stride, stride])),
                          ONNXAttribute("pads", .ints([padding, padding, padding, padding]))]
        if opType == "AveragePool" { attributes.append(ONNXAttribute("count_include_pad", .int(1))) }
        return node(opType, [x.name], attributes: attributes, name: name, outputShape: [x.sampleShape[0], size, width])
    }

    /// A window's output size along one axis (floor mode), nil when the window does not fit.
    static func outputSize(_ size: Int, kernel: Int, stride: Int, padding: Int, dilation: Int = 1) -> Int? {
        let span = dilation * (kernel - 1) + 1
        guard stride > 0, size + 2 * padding >= span else { return nil }
        return (size + 2 * padding - span) / stride + 1
    }

    // MARK: The graph

    /// The graph from `input` to `output`, its output renamed `outputName`.
    public func graph(name: String, input: ONNXValueInfo, output: ONNXValueInfo, outputName: String = "logits") -> ONNXGraph {
        var nodes = self.nodes
        if let index = nodes.lastIndex(where: { $0.outputs.contains(output.name) }), !usedNames.contains(outputName) {
            nodes[index].outputs = nodes[index].outputs.map { $0 == output.name ? outputName : $0 }
        }
        let outputValue = nodes.contains { $0.outputs.contains(outputName) } ? outputName : output.name
        return ONNXGraph(name: name, nodes: nodes, initializers: initializers,
                         inputs: [ONNXValueInfo(name: input.name, sampleShape: input.sampleShape)],
                         outputs: [ONNXValueInfo(name: outputValue, sampleShape: output.sampleShape)])
    }

    /// `name`, or `name_2`, `name_3`, … when taken; the result is taken from then on.
    private func uniqueName(_ name: String) -> String {
        var candidate = name, index = 1
        while usedNames.contains(candidate) {
            index += 1
            candidate = "\(name)_\(index)"
        }
        usedNames.insert(candidate)
        return candidate
    }
}
