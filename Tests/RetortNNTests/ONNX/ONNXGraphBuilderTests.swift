import XCTest
@testable import RetortNN
import RetortTestSupport

/// The graph builder's shapes, names and shared ops; what each model exports is checked against ONNX
/// Runtime by the CLI's `ExportCommandTests`.
final class ONNXGraphBuilderTests: ContextTestCase {
    private final class Unexportable: Module {
        var isTraining = true
        var entries: [ModuleEntry] { [] }
        func callAsFunction(_ input: Tensor) throws -> Tensor { input }
    }

    private func assertExportError(_ expected: ONNXExportError, file: StaticString = #filePath, line: UInt = #line,
                                   _ body: () throws -> Void) {
        XCTAssertThrowsError(try body(), file: file, line: line) {
            XCTAssertEqual($0 as? ONNXExportError, expected, file: file, line: line)
        }
    }

    func testWindowsShrinkTheMapInFloorMode() throws {
        let graph = try ONNXGraphBuilder(network: Sequential([]))
        let x = graph.input("input", sampleShape: [4, 7, 7])
        XCTAssertEqual(try graph.pooled("MaxPool", x, kernel: 2, stride: 2, padding: 0).sampleShape, [4, 3, 3])
        XCTAssertEqual(try graph.pooled("AveragePool", x, kernel: 3, stride: 2, padding: 1).sampleShape, [4, 4, 4])
        XCTAssertEqual(graph.nodes.last?.attributes.last, ONNXAttribute("count_include_pad", .int(1)))
        XCTAssertEqual(try graph.globalAveragePooled(x).sampleShape, [4])
        let window = "[N, C, H, W] at least as large as the window"
        assertExportError(ONNXExportError.invalidShape(op: "MaxPool 9×9", shapes: [[4, 7, 7]], expected: window)) {
            _ = try graph.pooled("MaxPool", x, kernel: 9, stride: 1, padding: 0)
        }
    }

    /// `Conv` takes the layer's stride, padding, dilation and groups and gives the map PyTorch would.
    func testConvolutionAttributesAndShape() throws {
        var generator = SplitMix64(seed: 1)
        let conv = try Conv2d(4, 8, kernelSize: 3, stride: 2, padding: 2, dilation: 2, groups: 2, context: context, generator: &generator)
        let graph = try ONNXGraphBuilder(network: Sequential([conv]))
        let y = try graph.apply(conv, to: graph.input("input", sampleShape: [4, 9, 9]))
        XCTAssertEqual(y.sampleShape, [8, 5, 5])  // (9 + 4 − 5) / 2 + 1
        let node = try XCTUnwrap(graph.nodes.first)
        XCTAssertEqual(node.opType, "Conv")
        XCTAssertEqual(node.inputs, ["input", "0.weight", "0.bias"])
        XCTAssertEqual(node.attributes, [ONNXAttribute("kernel_shape", .ints([3, 3])), ONNXAttribute("strides", .ints([2, 2])),
                                         ONNXAttribute("pads", .ints([2, 2, 2, 2])), ONNXAttribute("dilations", .ints([2, 2])),
                                         ONNXAttribute("group", .int(2))])
        XCTAssertEqual(graph.initializers.map(\.dims), [[8, 2, 3, 3], [8]])
        let kernel = "[N, 4, H, W] at least as large as the kernel"
        assertExportError(ONNXExportError.invalidShape(op: "Conv 0", shapes: [[3, 9, 9]], expected: kernel)) {
            _ = try graph.apply(conv, to: ONNXValueInfo(name: "x", sampleShape: [3, 9, 9]))
        }
    }

    /// A paired batch norm folds into its convolution: `w·γ/√(var+ε)`, `(b − mean)·γ/√(var+ε) + β`,
    /// computed here in Double; the norm adds no node and no initializer.
    func testPairedBatchNormFoldsIntoTheConvolution() throws {
        var generator = SplitMix64(seed: 2)
        let conv = try Conv2d(2, 3, kernelSize: 1, context: context, generator: &generator)
        let norm = try BatchNorm2d(3, context: context)
        let (gamma, beta, mean, variance) = ([Float](arrayLiteral: 0.5, 2, -1), [Float](arrayLiteral: 0.1, 0, -0.2),
                                             [Float](arrayLiteral: 1, -1, 0.5), [Float](arrayLiteral: 4, 0.25, 1))
        for (tensor, values) in [(norm.weight, gamma), (norm.bias, beta), (norm.runningMean, mean), (norm.runningVariance, variance)] {
            try tensor.assign(values)
        }
        let graph = try ONNXGraphBuilder(network: Sequential([conv, norm, ReLU()]))
        let y = try graph.apply(Sequential([conv, norm, ReLU()]), to: graph.input("input", sampleShape: [2, 4, 4]))
        XCTAssertEqual(graph.nodes.map(\.opType), ["Conv", "Relu"])
        XCTAssertEqual(graph.initializers.map(\.name), ["0.weight", "0.bias"])
        XCTAssertEqual(y.sampleShape, [3, 4, 4])
        let weight = try conv.weight.toArray(), bias = try XCTUnwrap(conv.bias).toArray()
        var expectedWeight: [Float] = [], expectedBias: [Float] = []
        for output in 0..<3 {
            let scale = Double(gamma[output]) / (Double(variance[output]) + 1e-5).squareRoot()
            expectedWeight += weight[output * 2..<output * 2 + 2].map { Float(Double($0) * scale) }
            expectedBias.append(Float((Double(bias[output]) - Double(mean[output])) * scale + Double(beta[output])))
        }
        XCTAssertEqual(graph.initializers[0], ONNXTensor(name: "0.weight", floats: expectedWeight, shape: [3, 2, 1, 1]))
        XCTAssertEqual(graph.initializers[1], ONNXTensor(name: "0.bias", floats: expectedBias, shape: [3]))
    }

    /// WRN's pre-activation norms have no convolution before them: they export as `BatchNormalization`
    /// (each block's `bn1` and the final `bn1`); every other norm folds.
    func testPreActivationNormsExportAsBatchNormalization() throws {
        let model = try ModelZoo.make("wrn_16_1", inputChannels: 1, inputSize: 28, classes: 10, context: context)
        let onnx = try model.onnxModel(inputShape: [1, 28, 28], name: "wrn_16_1")
        let count = { (op: String) in onnx.graph.nodes.filter { $0.opType == op }.count }
        XCTAssertEqual(count("BatchNormalization"), 6 + 1)   // 2 blocks in each of 3 stages, then the final norm
        XCTAssertEqual(count("Conv"), 1 + 12 + 2)             // the stem, 2 per block, 2 shortcut convs
        let normalization = try XCTUnwrap(onnx.graph.nodes.first { $0.opType == "BatchNormalization" })
        XCTAssertEqual(normalization.inputs.dropFirst(), ["block1.layer.0.bn1.weight", "block1.layer.0.bn1.bias",
                                                          "block1.layer.0.bn1.running_mean", "block1.layer.0.bn1.running_var"])
        XCTAssertEqual(normalization.attributes, [ONNXAttribute("epsilon", .float(1e-5))])
    }

    /// Logits `[N, classes]` named "logits", the input `[N, C, H, W]` named "input"; the classifier is a `Gemm` with `transB`.
    func testModelInputAndOutput() throws {
        let model = try ModelZoo.make("resnet8", inputChannels: 1, inputSize: 28, classes: 7, context: context)
        let onnx = try model.onnxModel(inputShape: [1, 28, 28], name: "resnet8")
        XCTAssertEqual(onnx.graph.inputs, [ONNXValueInfo(name: "input", sampleShape: [1, 28, 28])])
        XCTAssertEqual(onnx.graph.outputs, [ONNXValueInfo(name: "logits", sampleShape: [7])])
        let last = try XCTUnwrap(onnx.graph.nodes.last)
        XCTAssertEqual(last.opType, "Gemm")
        XCTAssertEqual(last.outputs, ["logits"])
        XCTAssertEqual(last.attributes, [ONNXAttribute("transB", .int(1))])
        XCTAssertFalse(onnx.graph.nodes.contains { $0.opType == "BatchNormalization" })
        // Every batch norm folds into a convolution without bias: its γ and β (2 per channel) become that
        // convolution's bias (1 per channel).
        let normChannels = try model.stateDict().tensors.filter { $0.key.hasSuffix(".running_mean") }
            .reduce(0) { $0 + $1.value.elementCount }
        XCTAssertEqual(onnx.parameterCount, model.parameterCount - normChannels)
        assertExportError(ONNXExportError.invalidShape(op: "resnet8", shapes: [[1, 28]], expected: "an input [N, C, H, W]")) {
            _ = try model.onnxModel(inputShape: [1, 28], name: "resnet8")
        }
    }

    /// ShuffleNet's shuffle is Reshape `[N, g, C/g, H, W]` (0 keeps the batch), Transpose (1 ↔ 2), Reshape
    /// back; ShuffleNetV2's blocks split the channels in halves.
    func testChannelShuffleAndSplit() throws {
        let graph = try ONNXGraphBuilder(network: Sequential([]))
        let x = graph.input("input", sampleShape: [6, 5, 4])
        let parts = try graph.split(x, sizes: [2, 4])
        XCTAssertEqual(parts.map(\.sampleShape), [[2, 5, 4], [4, 5, 4]])
        let shuffled = try graph.channelShuffled(graph.concatenated([parts[1], parts[0]]), groups: 3)
        XCTAssertEqual(shuffled.sampleShape, [6, 5, 4])
        XCTAssertEqual(graph.nodes.map(\.opType), ["Split", "Concat", "Reshape", "Transpose", "Reshape"])
        XCTAssertEqual(graph.nodes[3].attributes, [ONNXAttribute("perm", .ints([0, 2, 1, 3, 4]))])
        XCTAssertEqual(graph.initializers.map(\.name), ["split_sizes", "shuffle_shape", "unshuffle_shape"])
        XCTAssertEqual(graph.initializers[1], ONNXTensor(name: "shuffle_shape", integers: [0, 3, 2, 5, 4], shape: [5]))
        XCTAssertEqual(graph.initializers[2], ONNXTensor(name: "unshuffle_shape", integers: [0, 6, 5, 4], shape: [4]))
        assertExportError(ONNXExportError.invalidShape(op: "channel shuffle (4 groups)", shapes: [[6, 5, 4]],
                                                  expected: "[N, C, H, W] with C divisible by the groups")) {
            _ = try graph.channelShuffled(x, groups: 4)
        }
        assertExportError(ONNXExportError.invalidShape(op: "Add", shapes: [[2, 5, 4], [4, 5, 4]], expected: "equal shapes")) {
            _ = try graph.add(parts[0], parts[1])
        }
    }

    /// ReLU6 as `Clip` between two scalar constants.
    func testClipTakesScalarBounds() throws {
        let graph = try ONNXGraphBuilder(network: Sequential([]))
        let y = graph.clipped(graph.input("input", sampleShape: [3, 2, 2]), low: 0, high: 6)
        XCTAssertEqual(y.sampleShape, [3, 2, 2])
        XCTAssertEqual(graph.nodes, [ONNXNode("Clip", name: "Clip", inputs: ["input", "clip_low", "clip_high"], outputs: ["Clip"])])
        XCTAssertEqual(graph.initializers, [ONNXTensor(name: "clip_low", floats: [0], shape: []),
                                            ONNXTensor(name: "clip_high", floats: [6], shape: [])])
    }

    /// Names stay unique (a second `Relu` is `Relu_2`); a module with no export is named in the error.
    func testNamesAreUniqueAndUnsupportedModulesAreNamed() throws {
        let network = Sequential([ReLU(), Unexportable()])
        let graph = try ONNXGraphBuilder(network: network)
        let x = graph.input("input", sampleShape: [1])
        XCTAssertEqual(graph.relu(graph.relu(x)).name, "Relu_2")
        assertExportError(ONNXExportError.unsupportedModule(type: "Unexportable", name: "1")) { _ = try graph.apply(network, to: x) }
        XCTAssert(ONNXExportError.unsupportedModule(type: "Unexportable", name: "1").description
            .contains("cannot export 1 to ONNX: Unexportable has no ONNX export"))
    }
}
