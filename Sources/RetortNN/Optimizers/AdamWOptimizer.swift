import Retort

/// `torch.optim.AdamW` (decoupled weight decay, bias-corrected moments), updated in place with one
/// multi-tensor step per parameter group (``Tensor/adamWStep(_:options:)``: a dispatch per 8 parameters).
public final class AdamWOptimizer: ConfigurableOptimizer {
    public var options: AdamWOptions
    public let groups: [ParameterGroup]
    private let context: Context
    /// First and second moments and the step count, by parameter.
    private var state: [ObjectIdentifier: (first: Tensor, second: Tensor, steps: Int)] = [:]

    public init(_ groups: [ParameterGroup], options: AdamWOptions, context: Context) throws {
        (self.groups, self.options, self.context) = (groups, options, context)
    }

    public func step() throws {
        try forEachGroup { updates, groupOptions in
            let steps = try updates.map { parameter, gradient in
                let key = ObjectIdentifier(parameter)
                var entry = try state[key] ?? (try zeros(parameter.shape), try zeros(parameter.shape), 0)
                entry.steps += 1
                state[key] = entry
                return AdamWParameterUpdate(parameter: parameter, gradient: gradient, firstMoment: entry.first, secondMoment: entry.second,
                                            step: entry.steps)
            }
            try Tensor.adamWStep(steps, options: groupOptions)
        }
    }

    public func state(parameterNames: [ObjectIdentifier: String]) throws -> SafeTensors {
        try context.synchronize()
        var tensors: [String: HostTensor] = [:]
        try forEachNamedParameter(parameterNames) { parameter, name in
            guard let entry = state[ObjectIdentifier(parameter)] else { return }
            tensors[name + ".exp_avg"] = try HostTensor(entry.first.toArray(), shape: parameter.shape)
            tensors[name + ".exp_avg_sq"] = try HostTensor(entry.second.toArray(), shape: parameter.shape)
            tensors[name + ".step"] = HostTensor(scalar: Int64(entry.steps))
        }
        return SafeTensors(tensors: tensors)
    }

    public func loadState(_ saved: SafeTensors, parameterNames: [ObjectIdentifier: String]) throws {
        try forEachNamedParameter(parameterNames) { parameter, name in
            guard saved[name + ".step"] != nil else { return }
            let steps = try saved[name + ".step"]?.int64s().first ?? 0
            state[ObjectIdentifier(parameter)] = (try stateTensor(saved, name + ".exp_avg", of: parameter),
                                                  try stateTensor(saved, name + ".exp_avg_sq", of: parameter), Int(steps))
        }
    }

    private func zeros(_ shape: [Int]) throws -> Tensor {
        try Tensor.zeros(shape: shape, context: context)
    }
}
