import RetortCompute

// torch.optim.AdamW's update of one parameter (amsgrad off), in place and outside the tape (one dispatch).
//   parameter, gradient, first moment m, second moment v: the same shape;  t: the step number, from 1
//   p ← p·(1 − lr·weightDecay);  m ← β₁·m + (1 − β₁)·g;  v ← β₂·v + (1 − β₂)·g²
//   p ← p − (lr / (1 − β₁ᵗ))·m / (√v / √(1 − β₂ᵗ) + ε)   (g negated when maximizing)

/// The hyper-parameters of an AdamW step: the arguments of `torch.optim.AdamW` (same defaults).
public typealias AdamWOptions = AdamWLauncher.Options

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
}
