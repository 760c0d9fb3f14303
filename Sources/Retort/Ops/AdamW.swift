import RetortCompute

// torch.optim.AdamW's update of parameters (amsgrad off), in place and outside the tape: one dispatch
// per parameter (adamWStep(gradient:…)), or one per 8 parameters of a group (Tensor.adamWStep(_:options:)).
//   parameter, gradient, first moment m, second moment v: the same shape;  t: the step number, from 1
//   p ← p·(1 − lr·weightDecay);  m ← β₁·m + (1 − β₁)·g;  v ← β₂·v + (1 − β₂)·g²
//   p ← p − (lr / (1 − β₁ᵗ))·m / (√v / √(1 − β₂ᵗ) + ε)   (g negated when maximizing)

/// The hyper-parameters of an AdamW step: the arguments of `torch.optim.AdamW` (same defaults).
public typealias AdamWOptions = AdamWLauncher.Options

/// One parameter of a multi-tensor AdamW step (``Tensor/adamWStep(_:options:)``).
public struct AdamWParameterUpdate: ParameterUpdate {
    /// The parameter, updated in place.
    public var parameter: Tensor
    /// Its accumulated gradient (its shape).
    public var gradient: Tensor
    /// `exp_avg`: the parameter's shape, zero before step 1, updated in place.
    public var firstMoment: Tensor
    /// `exp_avg_sq`: the parameter's shape, zero before step 1, updated in place.
    public var secondMoment: Tensor
    /// This parameter's step number, from 1.
    public var step: Int

    public init(parameter: Tensor, gradient: Tensor, firstMoment: Tensor, secondMoment: Tensor, step: Int) {
        (self.parameter, self.gradient, self.firstMoment, self.secondMoment) = (parameter, gradient, firstMoment, secondMoment)
        self.step = step
    }

    var operands: [Tensor] { [gradient, firstMoment, secondMoment] }

    var operand: AdamWMultiTensorLauncher.Operand {
        .init(parameters: parameter.buffer, gradients: gradient.buffer, firstMoment: firstMoment.buffer, secondMoment: secondMoment.buffer,
              count: parameter.count, step: step)
    }
}

extension Tensor {
    /// Step number `step` (1 for the first) of `torch.optim.AdamW` on this parameter from `gradient`,
    /// in place on the device and not recorded. `firstMoment` (`exp_avg`) and `secondMoment`
    /// (`exp_avg_sq`), both the parameter's shape and zero before step 1, are updated in place too.
    public func adamWStep(gradient: Tensor, firstMoment: Tensor, secondMoment: Tensor, step: Int, options: AdamWOptions) throws {
        try checkUpdateOperands([gradient, firstMoment, secondMoment], op: "adamWStep")
        let kernel = try context.launcher(AdamWLauncher.self) { try AdamWLauncher(device: $0) }
        try kernel.encodeStep(into: context.stream, parameters: buffer, gradients: gradient.buffer, firstMoment: firstMoment.buffer,
                              secondMoment: secondMoment.buffer, count: count, step: step, options: options)
    }

    /// One `torch.optim.AdamW` step on every parameter of `updates` (all on one context, none twice),
    /// in place and not recorded, with one dispatch per 8 parameters of one step number
    /// (``AdamWMultiTensorLauncher``): the same bits as ``adamWStep(gradient:firstMoment:secondMoment:step:options:)``
    /// on each.
    public static func adamWStep(_ updates: [AdamWParameterUpdate], options: AdamWOptions) throws {
        guard let context = try updates.sharedContext(op: "adamWStep") else { return }
        let launcher = try context.launcher(AdamWMultiTensorLauncher.self) { try AdamWMultiTensorLauncher(device: $0) }
        try launcher.encodeStep(into: context.stream, operands: updates.map(\.operand), options: options)
    }
}
