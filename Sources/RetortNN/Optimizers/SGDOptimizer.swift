import Retort

/// `torch.optim.SGD`: momentum, dampening, Nesterov and weight decay, updated in place with one
/// multi-tensor step per parameter group (``Tensor/sgdStep(_:options:)``: a dispatch per 10 parameters).
public final class SGDOptimizer: ConfigurableOptimizer {
    public var options: SGDOptions
    public let groups: [ParameterGroup]
    private let context: Context
    /// Momentum buffers by parameter, created at the first step (as PyTorch's lazy state).
    private var momentum: [ObjectIdentifier: Tensor] = [:]

    public init(_ groups: [ParameterGroup], options: SGDOptions, context: Context) throws {
        (self.groups, self.options, self.context) = (groups, options, context)
    }

    public func step() throws {
        try forEachGroup { updates, groupOptions in
            let steps = try updates.map { parameter, gradient in
                let key = ObjectIdentifier(parameter)
                let first = momentum[key] == nil && groupOptions.momentum != 0
                if first { momentum[key] = try Tensor.zeros(shape: parameter.shape, context: context) }
                return SGDParameterUpdate(parameter: parameter, gradient: gradient, momentumBuffer: momentum[key], firstStep: first)
            }
            try Tensor.sgdStep(steps, options: groupOptions)
        }
    }

    public func state(parameterNames: [ObjectIdentifier: String]) throws -> SafeTensors {
        try context.synchronize()
        var tensors: [String: HostTensor] = [:]
        try forEachNamedParameter(parameterNames) { parameter, name in
            guard let buffer = momentum[ObjectIdentifier(parameter)] else { return }
            tensors[name + ".momentum_buffer"] = try HostTensor(buffer.toArray(), shape: parameter.shape)
        }
        return SafeTensors(tensors: tensors)
    }

    public func loadState(_ state: SafeTensors, parameterNames: [ObjectIdentifier: String]) throws {
        try forEachNamedParameter(parameterNames) { parameter, name in
            guard state[name + ".momentum_buffer"] != nil else { return }
            momentum[ObjectIdentifier(parameter)] = try stateTensor(state, name + ".momentum_buffer", of: parameter)
        }
    }
}
