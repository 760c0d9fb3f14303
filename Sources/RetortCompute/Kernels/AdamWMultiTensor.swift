import Foundation

// AdamW step over many parameter tensors, in place, up to 8 tensors per dispatch.
//   tensor k: parameters, gradients, first moment, second moment: [count_k]

/// `torch.optim.AdamW` (amsgrad off) over a whole parameter group with one dispatch per 8 tensors
/// of one step number (`adamw_multi_tensor.comp`; multi-tensor apply) instead of one per tensor.
/// Every element is updated with the arithmetic of ``AdamWLauncher``, so the two give the same bits.
/// On a device with too few descriptors per stage for 8 tensors (``multiTensorKernel`` is nil) every tensor
/// gets its own ``AdamWLauncher`` dispatch instead.
public struct AdamWMultiTensorLauncher: Sendable {
    /// Tensors per dispatch: 4 bindings each (parameters, gradients as an R32F texel buffer, both moments).
    public static let tensorsPerDispatch = 8

    /// The multi-tensor kernel, nil on a device that cannot bind ``tensorsPerDispatch`` tensors at once.
    public let multiTensorKernel: Kernel?
    /// The per-tensor launcher (the fallback, and the reference the multi-tensor kernel matches).
    public let single: AdamWLauncher

    /// One parameter tensor of a step.
    public struct Operand: Sendable {
        public var parameters: Buffer
        public var gradients: Buffer
        /// `exp_avg`, zero before step 1.
        public var firstMoment: Buffer
        /// `exp_avg_sq`, zero before step 1.
        public var secondMoment: Buffer
        /// Elements of the tensor.
        public var count: Int
        /// This tensor's step number, from 1 (tensors that missed a gradient in some step lag behind).
        public var step: Int

        public init(parameters: Buffer, gradients: Buffer, firstMoment: Buffer, secondMoment: Buffer, count: Int, step: Int) {
            (self.parameters, self.gradients, self.firstMoment, self.secondMoment) = (parameters, gradients, firstMoment, secondMoment)
            (self.count, self.step) = (count, step)
        }
    }

    /// The push constants of `adamw_multi_tensor.comp`: the scalars of ``AdamWLauncher/Push`` but
    /// the count, then the table of `multi_tensor.glsl` (`tensors`, `count[8]`, `groupEnd[8]`).
    public struct Push: PushConstants {
        public static let count = 9 + 2 * AdamWMultiTensorLauncher.tensorsPerDispatch
        var scalars: AdamWLauncher.Scalars
        var maximize: Bool
        var dispatch: MultiTensorDispatch

        public var values: [ShaderValue] { scalars.values + [.bool(maximize)] + dispatch.table }
    }

    public init(device: Device) throws {
        single = try AdamWLauncher(device: device)
        let slot: [Kernel.Binding] = [.storage(.readWrite), .texel(.r32f), .storage(.readWrite), .storage(.readWrite)]
        multiTensorKernel = try MultiTensorDispatch.kernel(.adamwMultiTensor, on: device, slot: slot, slots: Self.tensorsPerDispatch,
                                                           pushConstants: Push.self)
    }

    /// Records one step of every operand (in place, as ``AdamWLauncher`` records it for one), with one
    /// dispatch per ``tensorsPerDispatch`` operands of one step number (lower step numbers first).
    /// No buffer an operand updates may belong to another operand or be a gradient.
    public func encodeStep(into stream: CommandStream, operands: [Operand], options: AdamWLauncher.Options) throws {
        for operand in operands {
            try AdamWLauncher.checkStep(parameters: operand.parameters, gradients: operand.gradients, firstMoment: operand.firstMoment,
                                        secondMoment: operand.secondMoment, count: operand.count, step: operand.step, options: options)
        }
        try MultiTensorDispatch.requireDistinct("AdamW step over \(operands.count) tensors",
                                                written: operands.flatMap { [$0.parameters, $0.firstMoment, $0.secondMoment] },
                                                read: operands.map(\.gradients))
        guard let multiTensorKernel else {
            for operand in operands {
                try single.encodeStep(into: stream, parameters: operand.parameters, gradients: operand.gradients,
                                      firstMoment: operand.firstMoment, secondMoment: operand.secondMoment, count: operand.count,
                                      step: operand.step, options: options)
            }
            return
        }
        let byStep = Dictionary(grouping: operands, by: \.step)
        for step in byStep.keys.sorted() {
            let push = { Push(scalars: AdamWLauncher.Scalars(options: options, step: step), maximize: options.maximize, dispatch: $0) }
            for batch in MultiTensorDispatch.batches(byStep[step]!, slots: Self.tensorsPerDispatch) {
                let dispatch = MultiTensorDispatch(batch.map { ($0.count, [$0.parameters, $0.gradients, $0.firstMoment, $0.secondMoment]) },
                                                   slots: Self.tensorsPerDispatch)
                try stream.dispatch(multiTensorKernel, dispatch.buffers, push: push(dispatch), groups: dispatch.groups)
            }
        }
    }
}
