import Retort
import RetortNN

/// A distillation term's own state as a module (``DistillationLoss/state``): its trained
/// parameters as children or parameters, its float buffers (memory banks, normalizers) and integer
/// buffers (a flag, a sampler's position), under the names its checkpoint file uses. It is a
/// container, not a layer: calling it throws.
public final class LossState: Module {
    public let entries: [ModuleEntry]
    public var isTraining = true
    /// The term it belongs to, for the error a call gives.
    public let owner: String

    public init(_ owner: String, _ entries: [ModuleEntry]) {
        self.owner = owner
        self.entries = entries
    }

    public func callAsFunction(_ input: Tensor) throws -> Tensor {
        throw DistillationError.invalidConfiguration("\(owner)'s state is a container of tensors, not a layer to call")
    }
}
