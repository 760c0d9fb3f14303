import Retort
import RetortNN

/// What an online objective sees in one step: every trained network's logits on the same batch
/// (recorded on the tape), the logits of frozen networks (constants), and the labels.
public struct OnlineStep {
    /// `[B, C]` logits of each trained network, in the trainer's network order.
    public var logits: [Tensor]
    /// `[B, C]` logits of frozen networks the objective's forward pass computed (SOKD's teacher).
    public var frozenLogits: [Tensor]
    /// One class index per sample.
    public var labels: [Int]
    /// The epoch and the step within it, counted from 0.
    public var epoch: Int, step: Int

    public init(logits: [Tensor], frozenLogits: [Tensor] = [], labels: [Int], epoch: Int = 0, step: Int = 0) {
        self.logits = logits
        self.frozenLogits = frozenLogits
        self.labels = labels
        self.epoch = epoch
        self.step = step
    }

    public var batchSize: Int { labels.count }
    public var context: Context { logits[0].context }

    /// Network `k`'s mutual-learning loss, `CE(z_k, y) + Σ_{l ∈ peers} KL(softmax(z_l) ‖ softmax(z_k))`,
    /// at T = 1, each KL summed over classes and averaged over the batch, the peers detached (DML's
    /// `L_k` with every other network as peer; SwitOKD's with some left out).
    public func mutualLoss(of k: Int, peers: [Int], labelSmoothing: Float = 0) throws -> Tensor {
        let z = logits[k]   // [B, C]
        var total = try z.crossEntropy(labels: labels, labelSmoothing: labelSmoothing)
        for l in peers {
            total = try total + z.klDivergence(teacher: logits[l].detached(), temperature: 1, scale: 1 / Float(batchSize))
        }
        return total
    }
}

/// An online objective's answer for one step: each network's loss, or nil for a network that does
/// not step on this batch (SwitOKD's paused teacher).
public struct OnlineLosses {
    /// One entry per trained network; a `[1]` tensor whose gradient reaches that network only.
    public var losses: [Tensor?]
    /// Each switch's mode on this step ("expert", "learning"), in the order of
    /// ``OnlineObjective/switchNames(networks:)``; empty for objectives without modes.
    public var modes: [String]
    /// Each switch's per-step scalars logged with its mode (`G`, `delta`, … for SwitOKD), by
    /// ``OnlineObjective/diagnosticKeys``; one dictionary per entry of ``modes``.
    public var diagnostics: [[String: Double]]

    public init(losses: [Tensor?], modes: [String] = [], diagnostics: [[String: Double]] = []) {
        self.losses = losses
        self.modes = modes
        self.diagnostics = diagnostics
    }

    /// The answer of an objective with one switch (or none, when `mode` is nil).
    public init(losses: [Tensor?], mode: String?, diagnostics: [String: Double] = [:]) {
        self.init(losses: losses, modes: mode.map { [$0] } ?? [], diagnostics: mode == nil ? [] : [diagnostics])
    }
}

/// The per-network losses of an online co-training method (DML, SwitOKD, BD-KD, SOKD).
///
/// Every trained network runs on the same batch in training mode; the objective returns each
/// network's loss, in which every peer's output is a constant (detached), so that the gradient of a
/// network's loss reaches that network only. The trainer back-propagates the sum of the returned
/// losses once (which gives each network the gradient of its own loss) and steps the optimizers of
/// the networks that got one.
public protocol OnlineObjective {
    /// A short name for logs and run summaries.
    var name: String { get }
    /// How many trained networks the objective takes.
    var networkCount: ClosedRange<Int> { get }
    /// The modes a switching objective reports (its counters start at 0 each epoch); empty otherwise.
    var modes: [String] { get }
    /// The name of each switch, given the networks' names: the prefix of its `modes.csv` columns and
    /// epoch counters (empty for an objective's only switch: `mode`, `expert_steps`). By default
    /// one unnamed switch when the objective has modes, none otherwise.
    func switchNames(networks: [String]) -> [String]
    /// The per-step diagnostics logged beside the mode (`modes.csv` columns); empty for objectives
    /// without modes.
    var diagnosticKeys: [String] { get }
    /// Runs the networks on one batch: each trained network's logits (recorded) and any frozen
    /// logits the losses read. By default every model's `callAsFunction`, no frozen logits.
    func forward(_ models: [any Classifier], input: Tensor) throws -> (logits: [Tensor], frozenLogits: [Tensor])
    /// The losses of one step.
    func losses(_ step: OnlineStep) throws -> OnlineLosses
}

extension OnlineObjective {
    public var modes: [String] { [] }
    public var diagnosticKeys: [String] { [] }
    public func switchNames(networks: [String]) -> [String] { modes.isEmpty ? [] : [""] }

    public func forward(_ models: [any Classifier], input: Tensor) throws -> (logits: [Tensor], frozenLogits: [Tensor]) {
        (try models.map { try $0(input) }, [])
    }

    /// Checks that `step` carries as many networks as the objective takes.
    func checkNetworks(_ step: OnlineStep) throws {
        guard networkCount.contains(step.logits.count) else {
            throw DistillationError.invalidConfiguration("\(name) trains \(networkCount.lowerBound == networkCount.upperBound ? "\(networkCount.lowerBound)" : "\(networkCount.lowerBound) or more") networks; got \(step.logits.count)")
        }
    }
}
