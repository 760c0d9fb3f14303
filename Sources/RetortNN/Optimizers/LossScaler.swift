import Retort
import RetortCompute

/// Dynamic loss scaling for fp16 training, with PyTorch's `torch.amp.GradScaler` semantics: the loss is
/// multiplied by ``scale`` before backward so small gradients survive fp16; the gradients are unscaled
/// before the optimizer steps; a step whose gradients hold an infinity or a NaN is skipped and the scale
/// halves (``backoffFactor``); after ``growthInterval`` clean steps in a row the scale doubles
/// (``growthFactor``). bf16 has fp32's exponent range and trains without it.
public struct LossScaler: Equatable, Sendable {
    /// The current factor (initially 2¹⁶, as GradScaler's `init_scale`).
    public private(set) var scale: Float
    /// Clean steps since the scale last changed (GradScaler's `_growth_tracker`).
    public private(set) var growthTracker: Int
    public let growthFactor: Float
    public let backoffFactor: Float
    public let growthInterval: Int

    public init(initialScale: Float = 65536, growthFactor: Float = 2, backoffFactor: Float = 0.5, growthInterval: Int = 2000) {
        scale = initialScale
        growthTracker = 0
        self.growthFactor = growthFactor
        self.backoffFactor = backoffFactor
        self.growthInterval = growthInterval
    }

    /// Back-propagates `loss` × ``scale``, unscales the gradients of `parameters` in place and tells
    /// whether all of them are finite. Runs what was recorded (one submit) to read that.
    public func backward(_ loss: Tensor, parameters: [Tensor]) throws -> Bool {
        try loss.backward(seed: scale)
        return try unscale(parameters)
    }

    /// Divides the gradients of `parameters` by ``scale`` in place and tells whether all of them are
    /// finite (after a backward pass seeded with ``scale``). Runs what was recorded to read that.
    public func unscale(_ parameters: [Tensor]) throws -> Bool {
        let gradients = parameters.compactMap(\.grad)
        guard let context = gradients.first?.context else { return true }
        for gradient in gradients { try gradient.scaleInPlace(by: 1 / scale) }
        return try Tensor.nonFiniteFlag(gradients, context: context).item().isFinite
    }

    /// GradScaler's `update()` after a step: back off (and restart counting) when the gradients were not
    /// finite, grow after ``growthInterval`` clean steps.
    public mutating func update(gradientsWereFinite finite: Bool) {
        guard finite else {
            scale *= backoffFactor
            growthTracker = 0
            return
        }
        growthTracker += 1
        if growthTracker == growthInterval {
            scale *= growthFactor
            growthTracker = 0
        }
    }

    /// The state a checkpoint's run state records (`loss_scale`, `loss_scale_growth_tracker`), so a
    /// resumed run scales as the uninterrupted one.
    public var runState: [String: String] {
        ["loss_scale": "\(scale.bitPattern)", "loss_scale_growth_tracker": "\(growthTracker)"]
    }

    /// Restores ``runState``; leaves the scaler as it is when the run state has none (a run started
    /// without one).
    public mutating func restore(from state: [String: String]) {
        guard let bits = state["loss_scale"].flatMap(UInt32.init), let tracker = state["loss_scale_growth_tracker"].flatMap(Int.init)
        else { return }
        scale = Float(bitPattern: bits)
        growthTracker = tracker
    }
}

extension LossScaler {
    /// Back-propagates `loss` through `scaler` (plainly without one), updates the scaler and tells
    /// whether the optimizer should step: false when the gradients of `parameters` were not finite
    /// (GradScaler's `scale(loss).backward()`, `step(optimizer)`, `update()`).
    public static func backward(_ loss: Tensor, parameters: [Tensor], scaler: inout LossScaler?) throws -> Bool {
        guard var current = scaler else {
            try loss.backward()
            return true
        }
        let finite = try current.backward(loss, parameters: parameters)
        current.update(gradientsWereFinite: finite)
        scaler = current
        return finite
    }

    /// After backward passes seeded with the scale (a sharded step's pieces, summed): unscales and
    /// checks the gradients of `parameters`, updates `scaler` and tells whether to step; true without one.
    public static func unscale(_ parameters: [Tensor], scaler: inout LossScaler?) throws -> Bool {
        guard var current = scaler else { return true }
        let finite = try current.unscale(parameters)
        current.update(gradientsWereFinite: finite)
        scaler = current
        return finite
    }
}
