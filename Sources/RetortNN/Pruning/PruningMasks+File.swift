import Foundation

/// The masks as a sidecar safetensors file beside the weights (`best.safetensors` →
/// `best.masks.safetensors`), keyed as `torch.nn.utils.prune` names its buffers (`layers.0.weight`
/// → `layers.0.weight_mask`), float32 0/1 in the weight's shape. In PyTorch:
///
/// ```python
/// masks = safetensors.torch.load_file("best.masks.safetensors")
/// for name, module in model.named_modules():
///     if name + ".weight_mask" in masks:
///         prune.custom_from_mask(module, "weight", masks[name + ".weight_mask"])
/// ```
extension PruningMasks {
    /// The suffix `torch.nn.utils.prune` appends to a pruned parameter's name for its mask buffer.
    public static let keySuffix = "_mask"

    /// `weights.safetensors` → `weights.masks.safetensors`.
    public static func sidecarURL(for weights: URL) -> URL {
        weights.deletingPathExtension().appendingPathExtension("masks").appendingPathExtension("safetensors")
    }

    /// The masks as safetensors tensors (`<parameter>_mask`, float32).
    public func safeTensors() throws -> SafeTensors {
        var tensors: [String: HostTensor] = [:]
        for name in names { tensors[name + Self.keySuffix] = try HostTensor(values[name] ?? [], shape: shapes[name] ?? []) }
        return SafeTensors(tensors: tensors, metadata: ["format": "pt", "pruned": "\(prunedCount)", "total": "\(totalCount)"])
    }

    /// Writes the masks to `url` atomically (temporary file + rename).
    public func write(to url: URL) throws {
        try safeTensors().write(to: url)
    }

    /// Reads masks from `url` and checks them against `model`: every key must be
    /// `<parameter>_mask` of a parameter the model has, with that parameter's shape, and hold only
    /// 0 and 1. One error lists every mismatch, naming the file.
    public init(contentsOf url: URL, for model: any Module) throws {
        let file = try SafeTensors(contentsOf: url)
        let source = url.path
        var shapes: [String: [Int]] = [:], values: [String: [Float]] = [:]
        for key in file.names {
            guard key.hasSuffix(Self.keySuffix), key.count > Self.keySuffix.count else {
                throw PruningError.invalidMasksFile(source: source, reason: "key '\(key)' does not end in '\(Self.keySuffix)'")
            }
            let tensor = file[key]!
            guard tensor.dtype.isFloatingPoint || tensor.dtype == .bool || tensor.dtype == .uint8 else {
                throw PruningError.invalidMasksFile(source: source, reason: "'\(key)' is \(tensor.dtype), not a float 0/1 mask")
            }
            let mask = tensor.floats()
            if let bad = mask.firstIndex(where: { $0 != 0 && $0 != 1 }) {
                throw PruningError.invalidMasksFile(source: source, reason: "'\(key)'[\(bad)] is \(mask[bad]); masks hold only 0 and 1")
            }
            let name = String(key.dropLast(Self.keySuffix.count))
            shapes[name] = tensor.shape
            values[name] = mask
        }
        // The model's registration order, so ties break as they did when the masks were made.
        let order = model.namedParameters().map(\.name)
        let known = order.filter { shapes[$0] != nil }
        let names = known + shapes.keys.filter { !known.contains($0) }.sorted()
        try self.init(names: names, shapes: shapes, values: values)
        _ = try maskedParameters(of: model, source: source)
    }
}
