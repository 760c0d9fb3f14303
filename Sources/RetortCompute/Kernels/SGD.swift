import Foundation

// SGD step, in place.
//   parameters, gradients, momentumBuffer: [count]

/// `torch.optim.SGD` as one in-place dispatch per parameter buffer (`sgd.comp`).
///
/// Hyper-parameters travel as push constants, so a learning-rate schedule changes ``Options/learningRate``
/// between steps without building a new pipeline. The caller owns the momentum buffer (zero-initialized
/// or not: the first step overwrites it, as PyTorch's lazily created buffer does) and says when a
/// step is the first one.
public struct SGDLauncher: Sendable {
    /// The arguments of `torch.optim.SGD`. Like PyTorch's Python floats they are doubles; derived
    /// scalars are computed in double precision and rounded to fp32 once.
    public struct Options: Sendable, Hashable {
        public var learningRate: Double
        public var momentum: Double
        public var dampening: Double
        public var weightDecay: Double
        public var nesterov: Bool
        public var maximize: Bool

        public init(learningRate: Double, momentum: Double = 0, dampening: Double = 0, weightDecay: Double = 0,
                    nesterov: Bool = false, maximize: Bool = false) {
            self.learningRate = learningRate
            self.momentum = momentum
            self.dampening = dampening
            self.weightDecay = weightDecay
            self.nesterov = nesterov
            self.maximize = maximize
        }
    }

    /// The scalar kernel and the one that updates four parameters per step (counts divisible by 4).
    public let kernel: Kernel, vectorKernel: Kernel
    private static let localSize: UInt32 = 64

    /// The push constants of `sgd.comp`.
    ///
    /// - `count`: parameters to update
    /// - `lr`: learning rate
    /// - `momentum`: momentum factor (0: no momentum buffer)
    /// - `oneMinusDampening`: 1 − dampening, computed in double precision
    /// - `weightDecay`: L2 penalty added to the gradient
    /// - `nesterov`: nesterov momentum
    /// - `firstStep`: the momentum buffer starts as the gradient
    /// - `maximize`: ascend instead of descend
    public struct Push: PushConstants {
        public static let count = 8
        public var count: Int
        public var lr, momentum, oneMinusDampening, weightDecay: Float
        public var nesterov, firstStep, maximize: Bool

        public var values: [ShaderValue] {
            [.count(count), .float(lr), .float(momentum), .float(oneMinusDampening), .float(weightDecay), .bool(nesterov),
             .bool(firstStep), .bool(maximize)]
        }
    }

    public init(device: Device) throws {
        kernel = try device.kernel(.sgd, bindings: [.storage(.readWrite), .texel(.r32f), .storage(.readWrite)], pushConstants: Push.self,
                                   localSize: [Self.localSize], constants: VectorWidth(vec: 1))
        vectorKernel = try device.kernel(.sgd, bindings: [.storage(.readWrite), .texel(.rgba32f), .storage(.readWrite)],
                                         pushConstants: Push.self, localSize: [Self.localSize], constants: VectorWidth(vec: 4))
    }

    /// Records one step over `count` parameters: `parameters` (and `momentumBuffer`, required when
    /// `options.momentum != 0`) are updated in place from `gradients`. `firstStep` makes the momentum
    /// buffer start as the (weight-decayed) gradient.
    public func encodeStep(into stream: CommandStream, parameters: Buffer, gradients: Buffer, momentumBuffer: Buffer?,
                           count: Int, options: Options, firstStep: Bool) throws {
        let state = try Self.checkStep(parameters: parameters, gradients: gradients, momentumBuffer: momentumBuffer, count: count,
                                       options: options)
        let push = Push(count: count, lr: Float(options.learningRate), momentum: Float(options.momentum),
                        oneMinusDampening: Float(1 - options.dampening), weightDecay: Float(options.weightDecay),
                        nesterov: options.nesterov, firstStep: firstStep, maximize: options.maximize)
        let vectorized = count % 4 == 0
        try stream.dispatch(vectorized ? vectorKernel : kernel, [parameters, gradients, state], push: push,
                            groups: Self.groups(vectorized ? count / 4 : count))
    }

    /// Checks one parameter tensor's step and returns the buffer for the momentum binding: the
    /// momentum buffer, or without momentum the parameters (never read or written there).
    static func checkStep(parameters: Buffer, gradients: Buffer, momentumBuffer: Buffer?, count: Int, options: Options) throws -> Buffer {
        let context = "SGD step over \(count) parameters"
        guard count > 0, count <= Int(Int32.max) else { throw VulkanError.invalidArgument("\(context): the count must be positive and 32-bit.") }
        guard options.learningRate >= 0, options.momentum >= 0, options.weightDecay >= 0 else {
            throw VulkanError.invalidArgument("\(context): learning rate (\(options.learningRate)), momentum (\(options.momentum)) and weight decay (\(options.weightDecay)) must not be negative.")
        }
        guard !options.nesterov || (options.momentum > 0 && options.dampening == 0) else {
            throw VulkanError.invalidArgument("\(context): Nesterov momentum requires a momentum and zero dampening (got momentum \(options.momentum), dampening \(options.dampening)).")
        }
        var buffers = [("parameters", parameters, count), ("gradients", gradients, count)]
        if options.momentum != 0 {
            guard let momentumBuffer else { throw VulkanError.invalidArgument("\(context): momentum \(options.momentum) needs a momentum buffer.") }
            guard momentumBuffer !== parameters, momentumBuffer !== gradients, parameters !== gradients else {
                throw VulkanError.invalidArgument("\(context): parameters, gradients and momentum buffer must be distinct buffers.")
            }
            buffers.append(("momentum buffer", momentumBuffer, count))
        } else if parameters === gradients {
            throw VulkanError.invalidArgument("\(context): parameters and gradients must be distinct buffers.")
        }
        try ElementwiseLauncher.require(context, buffers)
        return options.momentum != 0 ? momentumBuffer! : parameters
    }

    static func groups(_ units: Int) -> (Int, Int, Int) {
        ElementwiseLauncher.groups(units: units, localSize: localSize)
    }
}
