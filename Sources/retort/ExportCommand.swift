import Foundation
import RetortCheckpoint
import RetortNN

/// `retort export`: saved weights of a zoo model as an ONNX model (opset 17) for inference runtimes.
enum ExportCommand: RegisteredCommand {
    static let name = "export"
    static let order = 105
    static let summary = "saved weights as an ONNX model (opset 17, evaluation mode, batch norms folded, batch size dynamic)"
    static let usage = """
        --model NAME --weights FILE --input CxHxW --out FILE.onnx
        [--classes N]   default: the class count of the weights' classifier
        """
    static let spec = Arguments.Spec(options: ["model", "weights", "input", "out", "classes"])

    static func run(_ arguments: Arguments, launch: Launch) throws {
        guard let modelName = arguments.options["model"], let weights = arguments.options["weights"],
              let input = arguments.options["input"], let out = arguments.options["out"] else {
            throw CLIError.usage("export needs --model NAME --weights FILE --input CxHxW --out FILE.onnx")
        }
        guard ModelZoo.names.contains(modelName) else {
            throw CLIError.usage("unknown model '\(modelName)'; `retort models` lists them: \(ModelZoo.names.joined(separator: ", "))")
        }
        let (channels, size) = try ModelsCommand.inputShape(input)
        let url = URL(fileURLWithPath: weights)
        let state = try SafeTensors(contentsOf: url)
        let context = try Context()
        let classes = try arguments.options["classes"] == nil
            ? classCount(of: modelName, in: state, source: url.path, channels: channels, size: size, context: context)
            : arguments.integer("classes", default: 0, range: 1...100_000)
        let model = try ModelZoo.make(modelName, inputChannels: channels, inputSize: size, classes: classes, context: context)
        try model.load(stateDict: state, source: url.path)
        model.eval()
        let onnx = try model.onnxModel(inputShape: [channels, size, size], name: modelName)
        try AtomicFile.write(Data(onnx.serialized), to: URL(fileURLWithPath: out))
        print("wrote \(out): \(modelName) for [N, \(channels), \(size), \(size)] → logits [N, \(classes)], "
              + "\(onnx.graph.nodes.count) nodes, \(onnx.parameterCount.formatted(.number)) parameters, "
              + "ONNX opset \(ONNXModel.opsetVersion) (IR \(ONNXModel.irVersion))")
    }

    /// The class count of saved weights: the output count of the model's classifier, read from the
    /// weights (the first dimension of the model's last parameter, its classifier's bias or weight).
    static func classCount(of name: String, in state: SafeTensors, source: String, channels: Int, size: Int,
                           context: Context) throws -> Int {
        let probe = try ModelZoo.make(name, inputChannels: channels, inputSize: size, classes: 10, context: context)
        guard let last = probe.namedParameters().last?.name, let classes = state[last]?.shape.first, classes > 0 else {
            throw CLIError.failed("\(source) has no classifier tensor of \(name) ('\(probe.namedParameters().last?.name ?? "")'): "
                                  + "are these weights of another model? Give --classes N to say the class count")
        }
        return classes
    }
}
