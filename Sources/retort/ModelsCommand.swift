import Foundation
import RetortNN

/// `retort models`: the model zoo with parameter counts and forward FLOPs for an input shape.
enum ModelsCommand: RegisteredCommand {
    static let name = "models"
    static let order = 110
    static let summary = "the model zoo with parameter counts and forward FLOPs"
    static let usage = """
        --input CxHxW   input shape (default 3x32x32)
        --classes N     class count (default 100)
        --json          machine-readable output
        """
    static let spec = Arguments.Spec(options: ["input", "classes"], flags: ["json"])

    static func run(_ arguments: Arguments, launch: Launch) throws {
        let classes = try arguments.integer("classes", default: 100, range: 1...100_000)
        let (channels, size) = try inputShape(arguments.options["input"] ?? "3x32x32")
        let context = try Context()
        var rows: [[String: Any]] = []
        let json = arguments.flags.contains("json")
        if !json {
            print("Models for a \(channels)×\(size)×\(size) input and \(classes) classes (FLOPs: one image, forward, 2 per multiply-add):")
            print("  name          parameters      FLOPs")
        }
        for name in ModelZoo.names {
            let model = try ModelZoo.make(name, inputChannels: channels, inputSize: size, classes: classes, context: context)
            model.eval()
            let input = try Tensor.zeros(shape: [1, channels, size, size], context: context)
            context.resetFLOPCount()
            _ = try context.noGrad { try model(input) }
            try context.synchronize()
            let flops = context.flopCount
            rows.append(["name": name, "parameters": model.parameterCount, "flops": flops])
            if !json {
                let count = model.parameterCount.formatted(.number)
                let padded = name.padding(toLength: 12, withPad: " ", startingAt: 0)
                print("  \(padded) \(String(repeating: " ", count: max(0, 11 - count.count)))\(count) \(String(format: "%9.2f", flops / 1e6)) M")
            }
        }
        if json {
            let report: [String: Any] = ["input": [channels, size, size], "classes": classes, "models": rows]
            let data = try JSONSerialization.data(withJSONObject: report, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        }
    }

    /// Parses `CxHxW` (square images).
    static func inputShape(_ text: String) throws(CLIError) -> (channels: Int, size: Int) {
        let parts = text.lowercased().split(separator: "x").compactMap { Int($0) }
        guard parts.count == 3, parts[0] > 0, parts[1] > 0, parts[1] == parts[2] else {
            throw .usage("--input must be CxHxW with a square image, e.g. 3x32x32 or 1x28x28; got '\(text)'")
        }
        return (parts[0], parts[1])
    }
}
