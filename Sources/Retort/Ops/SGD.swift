import RetortCompute

// torch.optim.SGD's update of one parameter, in place and outside the tape (one dispatch).
//   parameter, gradient, momentum buffer: the same shape
//   g' = ±g + weightDecay·p (− when maximizing);  b ← momentum·b + (1 − dampening)·g' (b ← g' on the first step)
//   p ← p − lr·(g' + momentum·b with Nesterov, else b);  without momentum p ← p − lr·g'

/// The hyper-parameters of an SGD step: the arguments of `torch.optim.SGD`, doubles like PyTorch's.
public typealias SGDOptions = SGDLauncher.Options

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
}
