import Foundation

// SGD step over many parameter tensors, in place, up to 10 tensors per dispatch.
//   tensor k: parameters, gradients, momentum buffer: [count_k]

/// `torch.optim.SGD` over a whole parameter group with one dispatch per 10 tensors
/// (`sgd_multi_tensor.comp`; multi-tensor apply, like PyTorch's `foreach` and fused SGD) instead of
/// one per tensor. Every element is updated with the arithmetic of ``SGDLauncher``, so the two give the
/// same bits. On a device with too few descriptors per stage for 10 tensors (``multiTensorKernel`` is
/// nil) every tensor gets its own ``SGDLauncher`` dispatch instead.
public struct SGDMultiTensorLauncher: Sendable {
    /// One parameter tensor of a step.
    public struct Operand: Sendable {
        public var parameters: Buffer
        public var gradients: Buffer
        /// Required when the step's momentum is not 0.
        public var momentumBuffer: Buffer?
        /// Elements of the tensor.
        public var count: Int
        /// The momentum buffer starts as the (weight-decayed) gradient, as PyTorch's lazily created one.
        public var firstStep: Bool

        public init(parameters: Buffer, gradients: Buffer, momentumBuffer: Buffer?, count: Int, firstStep: Bool) {
            (self.parameters, self.gradients, self.momentumBuffer) = (parameters, gradients, momentumBuffer)
            (self.count, self.firstStep) = (count, firstStep)
        }
    }

    /// Tensors per dispatch: 3 bindings each (parameters, gradients as an R32F texel buffer, momentum).
    public static let tensorsPerDispatch = 10

    /// The multi-tensor kernel, nil on a device that cannot bind ``tensorsPerDispatch`` tensors at once.
    public let multiTensorKernel: Kernel?
    /// The per-tensor launcher (the fallback, and the reference the multi-tensor kernel matches).
    public let single: SGDLauncher

    /// The push constants of `sgd_multi_tensor.comp`: the scalars of ``SGDLauncher/Push`` but the
    /// count and first-step flag, then `firstSteps` (bit k: tensor k's first step) and the table of
    /// `multi_tensor.glsl` (`tensors`, `count[10]`, `groupEnd[10]`).
    public struct Push: PushConstants {
        public static let count = 8 + 2 * SGDMultiTensorLauncher.tensorsPerDispatch
        var options: SGDLauncher.Options
        var firstSteps: UInt32
        var dispatch: MultiTensorDispatch

        public var values: [ShaderValue] {
            [.float(Float(options.learningRate)), .float(Float(options.momentum)), .float(Float(1 - options.dampening)),
             .float(Float(options.weightDecay)), .bool(options.nesterov), .bool(options.maximize), .uint(firstSteps)] + dispatch.table
        }
    }

    public init(device: Device) throws {
        single = try SGDLauncher(device: device)
        multiTensorKernel = try MultiTensorDispatch.kernel(.sgdMultiTensor, on: device,
                                                           slot: [.storage(.readWrite), .texel(.r32f), .storage(.readWrite)],
                                                           slots: Self.tensorsPerDispatch, pushConstants: Push.self)
    }

    /// Records one step of every operand (in place, as ``SGDLauncher`` records it for one), with one
    /// dispatch per ``tensorsPerDispatch`` operands. No buffer an operand updates may belong to
    /// another operand or be a gradient.
    public func encodeStep(into stream: CommandStream, operands: [Operand], options: SGDLauncher.Options) throws {
        let states = try operands.map {
            try SGDLauncher.checkStep(parameters: $0.parameters, gradients: $0.gradients, momentumBuffer: $0.momentumBuffer,
                                      count: $0.count, options: options)
        }
        let written = operands.map(\.parameters) + (options.momentum != 0 ? states : [])
        try MultiTensorDispatch.requireDistinct("SGD step over \(operands.count) tensors", written: written,
                                                read: operands.map(\.gradients))
        guard let multiTensorKernel else {
            for operand in operands {
                try single.encodeStep(into: stream, parameters: operand.parameters, gradients: operand.gradients,
                                      momentumBuffer: operand.momentumBuffer, count: operand.count, options: options,
                                      firstStep: operand.firstStep)
            }
            return
        }
        let bound = zip(operands, states).map { (count: $0.count, buffers: [$0.parameters, $0.gradients, $1], firstStep: $0.firstStep) }
        for batch in MultiTensorDispatch.batches(bound, slots: Self.tensorsPerDispatch) {
            let dispatch = MultiTensorDispatch(batch.map { ($0.count, $0.buffers) }, slots: Self.tensorsPerDispatch)
            let firstSteps = batch.enumerated().reduce(UInt32(0)) { $0 | ($1.element.firstStep ? 1 << UInt32($1.offset) : 0) }
            let push = Push(options: options, firstSteps: firstSteps, dispatch: dispatch)
            try stream.dispatch(multiTensorKernel, dispatch.buffers, push: push, groups: dispatch.groups)
        }
    }
}
