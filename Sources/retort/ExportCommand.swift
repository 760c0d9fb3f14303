import Foundation
import RetortCheckpoint
import RetortData
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
        let classes: Int, model: any Classifier
        if arguments.options["classes"] == nil {
            (classes, model) = try classifier(modelName, for: state, source: url.path, channels: channels, size: size, context: context)
        } else {
            classes = try arguments.integer("classes", default: 0, range: 1...100_000)
            model = try ModelZoo.make(modelName, inputChannels: channels, inputSize: size, classes: classes, context: context)
        }
        try model.load(stateDict: state, source: url.path)
        model.eval()
        var onnx = try model.onnxModel(inputShape: [channels, size, size], name: modelName)
        // The input normalization and class names the checkpoint records travel with the model.
        onnx.metadata = state.metadata.filter { [Normalization.meanKey, Normalization.stdKey, Normalization.classesKey].contains($0.key) }
        try AtomicFile.write(Data(onnx.serialized), to: URL(fileURLWithPath: out))
        print("wrote \(out): \(modelName) for [N, \(channels), \(size), \(size)] → logits [N, \(classes)], "
              + "\(onnx.graph.nodes.count) nodes, \(onnx.parameterCount.formatted(.number)) parameters, "
              + "ONNX opset \(ONNXModel.opsetVersion) (IR \(ONNXModel.irVersion))"
              + (onnx.metadata.isEmpty ? "" : "; metadata: " + onnx.metadata.keys.sorted().joined(separator: ", ")))
    }

    /// The zoo model `name` sized for saved weights: its class count is the output count of the
    /// weights' classifier (the first dimension of the model's last parameter, the classifier's bias
    /// or weight). A model built for 10 classes tells that parameter's name and is kept when it fits.
    static func classifier(_ name: String, for state: SafeTensors, source: String, channels: Int, size: Int,
                           context: Context) throws -> (classes: Int, model: any Classifier) {
        let probe = try ModelZoo.make(name, inputChannels: channels, inputSize: size, classes: 10, context: context)
        let last = probe.namedParameters().last?.name ?? ""
        guard let classes = state[last]?.shape.first, classes > 0 else {
            throw CLIError.failed("\(source) has no tensor '\(last)' (the classifier of \(name)): are these weights of another model? "
                                  + "Check --model, or give --classes N")
        }
        let model = classes == 10 ? probe
            : try ModelZoo.make(name, inputChannels: channels, inputSize: size, classes: classes, context: context)
        return (classes, model)
    }
}
