/// A linear ramp from `startFactor · base` up to the base rate over the first `epochs` epochs,
/// after which the wrapped schedule runs **as if training had started when the warm-up ended**:
/// at epoch `e ≥ epochs` the rate is `wrapped(e − epochs)`.
///
/// This is PyTorch's
/// ```python
/// warmup = LinearLR(optimizer, start_factor=s, total_iters=W)
/// SequentialLR(optimizer, [warmup, main], milestones=[W])
/// ```
/// stepped once per epoch: `lr(e) = base · (s + (1 − s) · e / W)` for `e < W`, then `main` from its
/// own epoch 0 — so with a warm-up of 5 epochs, milestones `[150, 180, 210]` take effect at epochs
/// 155, 185 and 215, and a cosine's `T_max` counts from the end of the warm-up.
///
/// With `perStep` (the default) the ramp moves every iteration: at iteration `t = e · S + step`
/// of `S` per epoch the factor is `s + (1 − s) · t / (W · S)` — PyTorch's `LinearLR` with
/// `total_iters = W · S` stepped per iteration — and the first iteration of each epoch gets the
/// per-epoch value. The wrapped schedule is asked with the same `step` and `stepsPerEpoch`.
public struct LinearWarmupSchedule: LearningRateSchedule {
    /// The schedule that runs after the warm-up.
    public let wrapped: any LearningRateSchedule
    /// Warm-up length in epochs (`W`); 0 means no warm-up.
    public let epochs: Int
    /// The first rate as a fraction of the base (PyTorch's `start_factor`, in `(0, 1]`).
    public let startFactor: Double
    /// Whether the ramp moves every iteration rather than once per epoch.
    public let perStep: Bool

    /// PyTorch's `LinearLR` default `start_factor`.
    public static let defaultStartFactor = 1.0 / 3.0

    public var baseLearningRate: Double { wrapped.baseLearningRate }

    public init(wrapping wrapped: any LearningRateSchedule, epochs: Int, startFactor: Double = defaultStartFactor,
                perStep: Bool = true) throws(LearningRateScheduleError) {
        guard epochs >= 0 else {
            throw .invalidOption(option: "warmup-epochs", value: "\(epochs)", expected: "a non-negative number of epochs")
        }
        guard startFactor > 0, startFactor <= 1 else {
            throw .invalidOption(option: "warmup-start-factor", value: "\(startFactor)", expected: "a factor in (0, 1]")
        }
        self.wrapped = wrapped
        self.epochs = epochs
        self.startFactor = startFactor
        self.perStep = perStep
    }

    public func learningRate(epoch: Int, step: Int, stepsPerEpoch: Int) -> Double {
        checkPosition(epoch: epoch, step: step, stepsPerEpoch: stepsPerEpoch)
        guard epoch < epochs else {
            return wrapped.learningRate(epoch: epoch - epochs, step: step, stepsPerEpoch: stepsPerEpoch)
        }
        let time = perStep ? Double(epoch * stepsPerEpoch + step) : Double(epoch)
        let length = perStep ? Double(epochs * stepsPerEpoch) : Double(epochs)
        return baseLearningRate * (startFactor + (1 - startFactor) * time / length)
    }

    public var description: String {
        "warmup(epochs=\(epochs), start-factor=\(compactDescription(of: startFactor))\(perStep ? ", per step" : "")) then \(wrapped)"
    }
}
