/// A learning rate as a function of training progress, with the semantics of
/// `torch.optim.lr_scheduler`.
///
/// ## Counting
/// `epoch` is 0-based and equals PyTorch's `scheduler.last_epoch` while that epoch trains: the
/// usual loop calls `scheduler.step()` once at the end of each epoch, so epoch 0 trains at the
/// base rate and epoch `e` at the rate after `e` calls. (RepDistiller and mdistiller count epochs
/// from 1; their epoch `k` is epoch `k − 1` here: with milestones `[150, 180, 210]` their epochs
/// 1–150 and these epochs 0–149 train at the base rate.)
///
/// `step` is the 0-based iteration within the epoch and `stepsPerEpoch` the number of iterations
/// in one. Schedules that only change between epochs (multi-step, step, constant) ignore them;
/// cosine annealing and linear warm-up can instead move every iteration (`perStep`), which is
/// PyTorch's scheduler stepped once per iteration with its length multiplied by `stepsPerEpoch`.
/// At `step == 0` a per-step schedule gives exactly its per-epoch value.
///
/// A trainer asks once per iteration:
/// ```swift
/// let schedule = try LearningRateScheduleConfiguration(options: ["schedule": "multistep",
///     "milestones": "150,180,210", "warmup-epochs": "5"]).makeSchedule(baseLearningRate: 0.05, epochs: 240)
/// optimizer.learningRate = schedule.learningRate(epoch: epoch, step: step, stepsPerEpoch: loader.count)
/// ```
public protocol LearningRateSchedule: Sendable, CustomStringConvertible {
    /// The rate the schedule starts from (PyTorch's `initial_lr`).
    var baseLearningRate: Double { get }

    /// The learning rate for iteration `step` (0-based, `< stepsPerEpoch`) of `epoch` (0-based).
    func learningRate(epoch: Int, step: Int, stepsPerEpoch: Int) -> Double
}

extension LearningRateSchedule {
    /// The learning rate for a whole epoch (its first iteration), as a scheduler stepped once per
    /// epoch gives it.
    public func learningRate(epoch: Int) -> Double {
        learningRate(epoch: epoch, step: 0, stepsPerEpoch: 1)
    }

    /// The per-epoch rates of epochs `0..<count`, e.g. for a run summary or a plot.
    public func learningRates(epochs count: Int) -> [Double] {
        (0..<count).map { learningRate(epoch: $0) }
    }
}

/// Checks the arguments every schedule receives; these are programmer errors, not user input.
func checkPosition(epoch: Int, step: Int, stepsPerEpoch: Int) {
    precondition(epoch >= 0, "epoch must be non-negative, got \(epoch)")
    precondition(stepsPerEpoch >= 1, "stepsPerEpoch must be at least 1, got \(stepsPerEpoch)")
    precondition((0..<stepsPerEpoch).contains(step), "step must be in 0..<\(stepsPerEpoch), got \(step)")
}

/// Formats a number for schedule descriptions: `0.05`, `1e-05`, `0.1`.
func compactDescription(of value: Double) -> String {
    value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : "\(value)"
}
