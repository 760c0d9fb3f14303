/// How a tensor's elements are stored on the device: fp32, or one of the 16-bit formats of mixed-precision
/// training (PyTorch's `torch.float16` and `torch.bfloat16`). Arithmetic is always fp32; 16-bit values are
/// converted on load and rounded to nearest even on store.
public enum Precision: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case float32 = "fp32"
    case float16 = "fp16"
    case bfloat16 = "bf16"

    /// Bytes per element.
    public var byteCount: Int { self == .float32 ? 4 : 2 }

    /// The name used on the command line and in configs (`fp32`, `fp16`, `bf16`).
    public var description: String { rawValue }

    /// Whether the shader stores this precision in 16-bit words (needs `storageBuffer16BitAccess`).
    public var isReduced: Bool { self != .float32 }

    /// Why a device without 16-bit storage cannot run `precision`, and what to do.
    static func unsupportedMessage(_ precision: Precision, device: String) -> String {
        "\(device) has no 16-bit storage buffers (storageBuffer16BitAccess), which --precision \(precision) needs; "
            + "use --precision fp32 or a device that has them (retort devices --verbose)"
    }

    /// The suffix of the shader variant compiled for this precision (`conv2d@fp16`); nil for fp32.
    var shaderSuffix: String? { isReduced ? "@\(rawValue)" : nil }
}
