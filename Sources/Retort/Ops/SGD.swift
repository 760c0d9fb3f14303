import RetortCompute

// torch.optim.SGD's update of parameters, in place and outside the tape: one dispatch per parameter
// (sgdStep(gradient:…)), or one per 10 parameters of a group (Tensor.sgdStep(_:options:), multi-tensor apply).
//   parameter, gradient, momentum buffer: the same shape
//   g' = ±g + weightDecay·p (− when maximizing);  b ← momentum·b + (1 − dampening)·g' (b ← g' on the first step)
//   p ← p − lr·(g' + momentum·b with Nesterov, else b);  without momentum p ← p − lr·g'

/// The hyper-parameters of an SGD step: the arguments of `torch.optim.SGD`, doubles like PyTorch's.
public typealias SGDOptions = SGDLauncher.Options

/// One parameter of a multi-tensor SGD step (``Tensor/sgdStep(_:options:)``).
public struct SGDParameterUpdate: ParameterUpdate {
    /// The parameter, updated in place.
    public var parameter: Tensor
    /// Its accumulated gradient (its shape).
    public var gradient: Tensor
    /// The parameter's shape; required when the step's momentum is not 0, and updated in place too.
    public var momentumBuffer: Tensor?
    /// The momentum buffer starts as the (weight-decayed) gradient, as PyTorch's lazily created one.
    public var firstStep: Bool

    public init(parameter: Tensor, gradient: Tensor, momentumBuffer: Tensor?, firstStep: Bool) {
        (self.parameter, self.gradient, self.momentumBuffer, self.firstStep) = (parameter, gradient, momentumBuffer, firstStep)
    }

    var operands: [Tensor] { [gradient] + (momentumBuffer.map { [$0] } ?? []) }

    var operand: SGDMultiTensorLauncher.Operand {
        .init(parameters: parameter.buffer, gradients: gradient.buffer, momentumBuffer: momentumBuffer?.buffer, count: parameter.count,
              firstStep: firstStep)
    }
}

extension Tensor {
    /// One `torch.optim.SGD` step on this parameter from `gradient`, in place on the device and not
    /// recorded (PyTorch's `optimizer.step()` under `torch.no_grad()`). `momentumBuffer` (the
    /// parameter's shape) is required when `options.momentum != 0` and is updated in place too;
    /// `firstStep` makes it start as the (weight-decayed) gradient, as PyTorch's lazily created buffer.
    public func sgdStep(gradient: Tensor, momentumBuffer: Tensor?, options: SGDOptions, firstStep: Bool) throws {
        try checkUpdateOperands([gradient] + (momentumBuffer.map { [$0] } ?? []), op: "sgdStep")
        let kernel = try context.launcher(SGDLauncher.self) { try SGDLauncher(device: $0) }
        try kernel.encodeStep(into: context.stream, parameters: buffer, gradients: gradient.buffer, momentumBuffer: momentumBuffer?.buffer,
                              count: count, options: options, firstStep: firstStep)
    }

    /// One `torch.optim.SGD` step on every parameter of `updates` (all on one context, none twice),
    /// in place and not recorded, with one dispatch per 10 parameters (``SGDMultiTensorLauncher``):
    /// the same bits as ``sgdStep(gradient:momentumBuffer:options:firstStep:)`` on each.
    public static func sgdStep(_ updates: [SGDParameterUpdate], options: SGDOptions) throws {
        guard let context = try updates.sharedContext(op: "sgdStep") else { return }
        let launcher = try context.launcher(SGDMultiTensorLauncher.self) { try SGDMultiTensorLauncher(device: $0) }
        try launcher.encodeStep(into: context.stream, operands: updates.map(\.operand), options: options)
    }
}
