import Retort
import RetortCompute

/// `torch.optim.AdamW` (decoupled weight decay, bias-corrected moments), one in-place kernel per parameter.
public final class AdamWOptimizer: Optimizer {
    public var options: AdamWLauncher.Options
    public let groups: [ParameterGroup]
    private let kernel: AdamWLauncher
    private let context: Context
    /// First and second moments and the step count, by parameter.
    private var state: [ObjectIdentifier: (first: Buffer, second: Buffer, steps: Int)] = [:]

    public var learningRate: Double {
        get { options.learningRate }
        set { options.learningRate = newValue }
    }

    public init(_ groups: [ParameterGroup], options: AdamWLauncher.Options, context: Context) throws {
        self.groups = groups
        self.options = options
        self.context = context
        kernel = try AdamWLauncher(device: context.device)
    }

    public convenience init(parameters: [Tensor], options: AdamWLauncher.Options, context: Context) throws {
        try self.init([ParameterGroup(parameters)], options: options, context: context)
    }

    public func step() throws {
        try forEachUpdate(weightDecay: options.weightDecay) { parameter, gradient, weightDecay in
            var groupOptions = options
            groupOptions.weightDecay = weightDecay
            let key = ObjectIdentifier(parameter)
            var entry = try state[key] ?? (try zeros(parameter.count), try zeros(parameter.count), 0)
            entry.steps += 1
            state[key] = entry
            try kernel.encodeStep(into: context.stream, parameters: parameter.storage, gradients: gradient.storage,
                                  firstMoment: entry.first, secondMoment: entry.second, count: parameter.count,
                                  step: entry.steps, options: groupOptions)
        }
    }

    public func state(parameterNames: [ObjectIdentifier: String]) throws -> SafeTensors {
        try context.synchronize()
        var tensors: [String: HostTensor] = [:]
        for group in groups {
            for parameter in group.parameters {
                guard let entry = state[ObjectIdentifier(parameter)], let name = parameterNames[ObjectIdentifier(parameter)] else { continue }
                tensors[name + ".exp_avg"] = try HostTensor(entry.first.read(Float.self, count: parameter.count), shape: parameter.shape)
                tensors[name + ".exp_avg_sq"] = try HostTensor(entry.second.read(Float.self, count: parameter.count), shape: parameter.shape)
                tensors[name + ".step"] = HostTensor(scalar: Int64(entry.steps))
            }
        }
        return SafeTensors(tensors: tensors)
    }

    public func loadState(_ saved: SafeTensors, parameterNames: [ObjectIdentifier: String]) throws {
        for group in groups {
            for parameter in group.parameters {
                guard let name = parameterNames[ObjectIdentifier(parameter)], saved[name + ".step"] != nil else { continue }
                let steps = try saved[name + ".step"]?.int64s().first ?? 0
                state[ObjectIdentifier(parameter)] = (try context.device.makeBuffer(stateValues(saved, name + ".exp_avg", count: parameter.count)),
                                                      try context.device.makeBuffer(stateValues(saved, name + ".exp_avg_sq", count: parameter.count)),
                                                      Int(steps))
            }
        }
    }

    private func zeros(_ count: Int) throws -> Buffer {
        let buffer = try context.device.makeBuffer(byteCount: count * 4)
        try context.stream.fill(buffer, with: Float(0))
        return buffer
    }
}
