import Retort

/// `max(x, 0)` (PyTorch's `nn.ReLU`).
public final class ReLU: Module {
    public var isTraining = true
    public init() {}
    public var entries: [ModuleEntry] { [] }
    public func callAsFunction(_ input: Tensor) throws -> Tensor { try input.relu() }
}

/// `min(max(x, 0), 6)` (PyTorch's `nn.ReLU6`, the activation of torchvision's MobileNetV2).
public final class ReLU6: Module {
    public var isTraining = true
    public init() {}
    public var entries: [ModuleEntry] { [] }
    public func callAsFunction(_ input: Tensor) throws -> Tensor { try input.relu6() }
}
