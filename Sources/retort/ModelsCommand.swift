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
        var context = try Context()
        var rows: [[String: Any]] = []
        let json = arguments.flags.contains("json")
        let nameWidth = ModelZoo.names.map(\.count).max() ?? 0
        if !json {
            print("Models for a \(channels)×\(size)×\(size) input and \(classes) classes (FLOPs: one image, forward, 2 per multiply-add):")
            print("  \("name".padding(toLength: nameWidth, withPad: " ", startingAt: 0))  parameters      FLOPs")
        }
        for name in ModelZoo.names {
            let padded = name.padding(toLength: nameWidth, withPad: " ", startingAt: 0)
            let flops: Double, parameters: Int
            do {
                (parameters, flops) = try measure(name, channels: channels, size: size, classes: classes, context: context)
            } catch {
                // A model that does not fit this input (a plain CNN's flattened map at 224×224 is too wide for the
                // device) is listed with the reason; the others still are.
                rows.append(["name": name, "error": "\(error)"])
                if !json { print("  \(padded) does not run at this input: \(error)") }
                context = try Context()
                continue
            }
            rows.append(["name": name, "parameters": parameters, "flops": flops])
            if !json {
                let count = parameters.formatted(.number)
                print("  \(padded) \(String(repeating: " ", count: max(0, 11 - count.count)))\(count) \(String(format: "%9.2f", flops / 1e6)) M")
            }
        }
        if json {
            let report: [String: Any] = ["input": [channels, size, size], "classes": classes, "models": rows]
            let data = try JSONSerialization.data(withJSONObject: report, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        }
    }

    /// `name`'s parameter count and the FLOPs of one forward pass of one image.
    private static func measure(_ name: String, channels: Int, size: Int, classes: Int, context: Context) throws -> (Int, Double) {
        let model = try ModelZoo.make(name, inputChannels: channels, inputSize: size, classes: classes, context: context)
        model.eval()
        let input = try Tensor.zeros(shape: [1, channels, size, size], context: context)
        context.resetFLOPCount()
        _ = try context.noGrad { try model(input) }
        try context.synchronize()
        return (model.parameterCount, context.flopCount)
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
