import Foundation

// AdamW step, in place.
//   parameters, gradients, firstMoment, secondMoment: [count]

/// `torch.optim.AdamW` (amsgrad off) as one in-place dispatch per parameter buffer (`adamw.comp`),
/// in PyTorch's order of operations; the bias corrections are computed on the host in double
/// precision from the step number, as PyTorch does.
public struct AdamWLauncher: Sendable {
    /// The arguments of `torch.optim.AdamW` (same defaults), doubles like PyTorch's Python floats.
    public struct Options: Sendable, Hashable {
        public var learningRate: Double
        public var beta1: Double
        public var beta2: Double
        public var epsilon: Double
        public var weightDecay: Double
        public var maximize: Bool

        public init(learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8,
                    weightDecay: Double = 1e-2, maximize: Bool = false) {
            self.learningRate = learningRate
            self.beta1 = beta1
            self.beta2 = beta2
            self.epsilon = epsilon
            self.weightDecay = weightDecay
            self.maximize = maximize
        }
    }

    /// The scalar kernel and the one that updates four parameters per step (counts divisible by 4).
    public let kernel: Kernel, vectorKernel: Kernel

    /// The push constants of `adamw.comp` (derived scalars computed in double precision, rounded once).
    ///
    /// - `count`: parameters to update
    /// - `decay`: 1 − lr · weight decay (decoupled weight decay)
    /// - `oneMinusBeta1`: 1 − β₁
    /// - `beta2`: β₂
    /// - `oneMinusBeta2`: 1 − β₂
    /// - `stepSize`: lr / (1 − β₁ᵗ)
    /// - `bias2Sqrt`: √(1 − β₂ᵗ)
    /// - `eps`: ε
    /// - `maximize`: ascend instead of descend
    public struct Push: PushConstants {
        public static let count = 9
        public var count: Int
        public var decay, oneMinusBeta1, beta2, oneMinusBeta2, stepSize, bias2Sqrt, eps: Float
        public var maximize: Bool

        public var values: [ShaderValue] {
            [.count(count), .float(decay), .float(oneMinusBeta1), .float(beta2), .float(oneMinusBeta2), .float(stepSize),
             .float(bias2Sqrt), .float(eps), .bool(maximize)]
        }
    }

    public init(device: Device) throws {
        kernel = try device.kernel(.adamw, bindings: [.storage(.readWrite), .texel(.r32f), .storage(.readWrite), .storage(.readWrite)],
                                   pushConstants: Push.self, localSize: [64], constants: VectorWidth(vec: 1))
        vectorKernel = try device.kernel(.adamw,
                                         bindings: [.storage(.readWrite), .texel(.rgba32f), .storage(.readWrite), .storage(.readWrite)],
                                         pushConstants: Push.self, localSize: [64], constants: VectorWidth(vec: 4))
    }

    /// Records step number `step` (1 for the first step) over `count` parameters: `parameters`,
    /// `firstMoment` (`exp_avg`) and `secondMoment` (`exp_avg_sq`, both zero before step 1) are
    /// updated in place from `gradients`.
    public func encodeStep(into stream: CommandStream, parameters: Buffer, gradients: Buffer, firstMoment: Buffer,
                           secondMoment: Buffer, count: Int, step: Int, options: Options) throws {
        try Self.checkStep(parameters: parameters, gradients: gradients, firstMoment: firstMoment, secondMoment: secondMoment, count: count,
                           step: step, options: options)
        let scalars = Scalars(options: options, step: step)
        let push = Push(count: count, decay: scalars.decay, oneMinusBeta1: scalars.oneMinusBeta1, beta2: scalars.beta2,
                        oneMinusBeta2: scalars.oneMinusBeta2, stepSize: scalars.stepSize, bias2Sqrt: scalars.bias2Sqrt, eps: scalars.eps,
                        maximize: options.maximize)
        let vectorized = count % 4 == 0
        try stream.dispatch(vectorized ? vectorKernel : kernel, [parameters, gradients, firstMoment, secondMoment], push: push,
                            groups: SGDLauncher.groups(vectorized ? count / 4 : count))
    }

    /// Checks one parameter tensor's step.
    static func checkStep(parameters: Buffer, gradients: Buffer, firstMoment: Buffer, secondMoment: Buffer, count: Int, step: Int,
                          options: Options) throws {
        let context = "AdamW step \(step) over \(count) parameters"
        guard count > 0, count <= Int(Int32.max) else { throw VulkanError.invalidArgument("\(context): the count must be positive and 32-bit.") }
        guard step >= 1 else { throw VulkanError.invalidArgument("\(context): steps are numbered from 1.") }
        guard options.learningRate >= 0, options.epsilon >= 0, options.weightDecay >= 0,
              (0..<1).contains(options.beta1), (0..<1).contains(options.beta2) else {
            throw VulkanError.invalidArgument("\(context): needs learning rate, epsilon, weight decay ≥ 0 and betas in [0, 1) (got \(options)).")
        }
        let distinct = [parameters, gradients, firstMoment, secondMoment]
        guard Set(distinct.map(ObjectIdentifier.init)).count == distinct.count else {
            throw VulkanError.invalidArgument("\(context): parameters, gradients and both moments must be distinct buffers.")
        }
        try ElementwiseLauncher.require(context, [("parameters", parameters, count), ("gradients", gradients, count),
                                          ("first moment", firstMoment, count), ("second moment", secondMoment, count)])
    }

    /// The fp32 scalars of step number `step`, derived in double precision and rounded once.
    struct Scalars {
        let decay, oneMinusBeta1, beta2, oneMinusBeta2, stepSize, bias2Sqrt, eps: Float

        init(options: Options, step: Int) {
            let lr = options.learningRate, beta1 = options.beta1, beta2 = options.beta2
            let biasCorrection1 = 1 - pow(beta1, Double(step))
            let biasCorrection2 = 1 - pow(beta2, Double(step))
            decay = Float(1 - lr * options.weightDecay)
            oneMinusBeta1 = Float(1 - beta1)
            self.beta2 = Float(beta2)
            oneMinusBeta2 = Float(1 - beta2)
            stepSize = Float(lr / biasCorrection1)
            bias2Sqrt = Float(biasCorrection2.squareRoot())
            eps = Float(options.epsilon)
        }

        /// The push constants the AdamW shaders declare in this order.
        var values: [ShaderValue] {
            [.float(decay), .float(oneMinusBeta1), .float(beta2), .float(oneMinusBeta2), .float(stepSize), .float(bias2Sqrt), .float(eps)]
        }
    }
}
