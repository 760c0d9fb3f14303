import Retort

/// Which layers' weights unstructured pruning may zero, as the reference code collects its
/// `(module, "weight")` pairs for `torch.nn.utils.prune.global_unstructured`.
public enum PrunableLayers: String, CaseIterable, Sendable {
    /// The `weight` of every `Conv2d` (PrUE: "Linear not pruned").
    case convolutions
    /// The `weight` of every `Conv2d` and `Linear` (prune-then-distill's `get_pruning_module_list`).
    case convolutionsAndLinear

    func includes(_ module: any Module) -> Bool {
        switch self {
        case .convolutions: return module is Conv2d
        case .convolutionsAndLinear: return module is Conv2d || module is Linear
        }
    }
}

extension Module {
    /// The weights of the `layers` kind, with their PyTorch parameter names (`layers.0.weight`), in
    /// registration order (`named_modules()` order). Biases and batch-norm parameters are never
    /// included.
    public func prunableWeights(_ layers: PrunableLayers) -> [(name: String, tensor: Tensor)] {
        var modules: [(prefix: String, module: any Module)] = [("", self)]
        for case let (name, .child(_, child)) in walk() { modules.append((name + ".", child)) }
        return modules.compactMap { prefix, module in
            guard layers.includes(module) else { return nil }
            switch module {
            case let conv as Conv2d: return (prefix + "weight", conv.weight)
            case let linear as Linear: return (prefix + "weight", linear.weight)
            default: return nil
            }
        }
    }
}
