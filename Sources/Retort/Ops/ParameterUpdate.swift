// What the multi-tensor optimizer ops (Tensor.sgdStep(_:options:), Tensor.adamWStep(_:options:)) share:
// one entry per parameter, all on one context.

/// One parameter's operands in a multi-tensor optimizer step.
protocol ParameterUpdate {
    var parameter: Tensor { get }
    /// The tensors the step reads or updates beside the parameter (its shape, its context).
    var operands: [Tensor] { get }
}

extension Array where Element: ParameterUpdate {
    /// The context of every update's tensors (nil when there are none); throws for a mix of
    /// contexts or an operand whose shape is not its parameter's.
    func sharedContext(op: String) throws -> Context? {
        guard let context = first?.parameter.context else { return nil }
        for update in self {
            guard update.parameter.context === context else { throw TensorError.contextMismatch(op: op) }
            try update.parameter.checkUpdateOperands(update.operands, op: op)
        }
        return context
    }
}
