/// One line of an online run's `metrics.jsonl`: every network's metrics under its name, how many
/// optimizer steps each took, and the objective's mode counters.
public struct OnlineEpochMetrics: Codable, Equatable, Sendable {
    /// 1-based.
    public var epoch: Int
    public var seconds: Double
    /// Per network: learning rate, train loss (mean over the steps it took) and accuracy (all
    /// steps), test NLL, top-1, top-5, ECE, and agreement and predictive KL(peers ‖ network) to its
    /// peer (the peers' mean prediction when there are several).
    public var networks: [String: EpochMetrics]
    /// Optimizer steps per network this epoch.
    public var updates: [String: Int]
    /// Mode counters of switching objectives: `<mode>_steps` per mode and `switches` (steps whose
    /// mode differs from the step before, the previous epoch's last step included); with several
    /// switches (SwitOKD's pairs), per switch under its name (`T→S1 expert_steps`, `T→S1 switches`).
    public var counters: [String: Int]

    public init(epoch: Int, seconds: Double, networks: [String: EpochMetrics], updates: [String: Int], counters: [String: Int] = [:]) {
        self.epoch = epoch
        self.seconds = seconds
        self.networks = networks
        self.updates = updates
        self.counters = counters
    }
}

/// A frozen network's test metrics, measured once before training (SOKD's teacher).
public struct FrozenNetworkMetrics: Codable, Equatable, Sendable {
    public var testLoss: Double
    public var testTop1: Double
    public var testTop5: Double
    public var testCalibrationError: Double

    enum CodingKeys: String, CodingKey {
        case testLoss = "test_loss", testTop1 = "test_top1", testTop5 = "test_top5", testCalibrationError = "test_ece"
    }
}
