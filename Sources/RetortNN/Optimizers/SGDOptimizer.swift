import Retort
import RetortCompute

/// `torch.optim.SGD`: momentum, dampening, Nesterov and weight decay, one in-place kernel per parameter.
public final class SGDOptimizer: Optimizer {
    public var options: SGDLauncher.Options
    public let groups: [ParameterGroup]
    private let kernel: SGDLauncher
    private let context: Context
    /// Momentum buffers by parameter, created at the first step (as PyTorch's lazy state).
    private var momentum: [ObjectIdentifier: Buffer] = [:]

    public var learningRate: Double {
        get { options.learningRate }
        set { options.learningRate = newValue }
    }

    public init(_ groups: [ParameterGroup], options: SGDLauncher.Options, context: Context) throws {
        self.groups = groups
        self.options = options
        self.context = context
        kernel = try SGDLauncher(device: context.device)
    }

    public convenience init(parameters: [Tensor], options: SGDLauncher.Options, context: Context) throws {
        try self.init([ParameterGroup(parameters)], options: options, context: context)
    }

    public func step() throws {
        try forEachUpdate(weightDecay: options.weightDecay) { parameter, gradient, weightDecay in
            var groupOptions = options
            groupOptions.weightDecay = weightDecay
            let key = ObjectIdentifier(parameter)
            var buffer = momentum[key]
            let first = buffer == nil && groupOptions.momentum != 0
            if first {
                buffer = try context.device.makeBuffer(byteCount: parameter.count * 4)
                momentum[key] = buffer
            }
            try kernel.encodeStep(into: context.stream, parameters: parameter.storage, gradients: gradient.storage,
                                  momentumBuffer: buffer, count: parameter.count, options: groupOptions, firstStep: first)
        }
    }

    public func state(parameterNames: [ObjectIdentifier: String]) throws -> SafeTensors {
        try context.synchronize()
        var tensors: [String: HostTensor] = [:]
        for group in groups {
            for parameter in group.parameters {
                guard let buffer = momentum[ObjectIdentifier(parameter)], let name = parameterNames[ObjectIdentifier(parameter)] else { continue }
                tensors[name + ".momentum_buffer"] = try HostTensor(buffer.read(Float.self, count: parameter.count), shape: parameter.shape)
            }
        }
        return SafeTensors(tensors: tensors)
    }

    public func loadState(_ state: SafeTensors, parameterNames: [ObjectIdentifier: String]) throws {
        for group in groups {
            for parameter in group.parameters {
                guard let name = parameterNames[ObjectIdentifier(parameter)], state[name + ".momentum_buffer"] != nil else { continue }
                let values = try stateValues(state, name + ".momentum_buffer", count: parameter.count)
                momentum[ObjectIdentifier(parameter)] = try context.device.makeBuffer(values)
            }
        }
    }
}
