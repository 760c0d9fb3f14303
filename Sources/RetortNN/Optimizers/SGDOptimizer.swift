import Retort
import RetortCompute

/// `torch.optim.SGD`: momentum, dampening, Nesterov and weight decay, one in-place kernel per parameter.
public final class SGDOptimizer: Optimizer {
    public var options: SGD.Options
    public let groups: [ParameterGroup]
    private let kernel: SGD
    private let context: Context
    /// Momentum buffers by parameter, created at the first step (as PyTorch's lazy state).
    private var momentum: [ObjectIdentifier: Buffer] = [:]

    public var learningRate: Double {
        get { options.learningRate }
        set { options.learningRate = newValue }
    }

    public init(_ groups: [ParameterGroup], options: SGD.Options, context: Context) throws {
        self.groups = groups
        self.options = options
        self.context = context
        kernel = try SGD(device: context.device)
    }

    public convenience init(parameters: [Tensor], options: SGD.Options, context: Context) throws {
        try self.init([ParameterGroup(parameters)], options: options, context: context)
    }

    public func step() throws {
        for group in groups {
            var groupOptions = options
            if let weightDecay = group.weightDecay { groupOptions.weightDecay = weightDecay }
            for parameter in group.parameters where parameter.requiresGrad {
                guard let gradient = parameter.grad else { continue }
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
    }

    public func zeroGrad() throws {
        for group in groups { for parameter in group.parameters { try parameter.zeroGrad() } }
    }
}
