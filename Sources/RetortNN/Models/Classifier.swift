import Retort

/// What feature-based distillation losses read from a network, as RepDistiller's
/// `forward(x, is_feat=True, preact=…)` returns it.
public struct FeatureTaps {
    /// f0 = stem output, f1…f3 = stage outputs (post-activation for ResNets).
    public var stages: [Tensor]
    /// With `preact: true`, the pre-activation versions of f0…f3 (RepDistiller's `preact=True`);
    /// empty otherwise.
    public var preactivations: [Tensor]
    /// f4: the pooled, flattened feature vector fed to the classifier.
    public var pooled: Tensor
    public var logits: Tensor
    /// The final feature map `[N, D, H, W]` that global average pooling turns into ``pooled``
    /// (Zipf's dense votes apply the classifier at each of its positions); nil for a network that
    /// flattens its last map instead of pooling it (the plain CNNs).
    public var pooledMap: Tensor?

    public init(stages: [Tensor] = [], preactivations: [Tensor] = [], pooled: Tensor, logits: Tensor, pooledMap: Tensor? = nil) {
        self.stages = stages
        self.preactivations = preactivations
        self.pooled = pooled
        self.logits = logits
        self.pooledMap = pooledMap
    }
}

/// An image classifier: logits from `callAsFunction`, feature taps from ``features(_:)``.
public protocol Classifier: Module {
    /// Logits and feature taps; `preact` also fills ``FeatureTaps/preactivations``.
    func features(_ input: Tensor, preact: Bool) throws -> FeatureTaps
    /// The classifier alone: logits `[N, classes]` from pooled feature vectors `[N, D]` (the layers
    /// after ``FeatureTaps/pooled``; `logits(fromPooled: features(x).pooled)` equals `self(x)`).
    func logits(fromPooled pooled: Tensor) throws -> Tensor
    /// The network's head: logits `[N, classes]` from a map shaped like the last stage tap
    /// (the layers after `features(x).stages.last`; `logits(fromLastStage: features(x).stages.last)`
    /// equals `self(x)`). CA-MKD runs a frozen teacher's head on the student's embedded feature map.
    func logits(fromLastStage stage: Tensor) throws -> Tensor
}

extension Classifier {
    public func features(_ input: Tensor) throws -> FeatureTaps { try features(input, preact: false) }
    public func callAsFunction(_ input: Tensor) throws -> Tensor { try features(input, preact: false).logits }
}

/// A model that cannot be built as asked.
public enum ModelError: Error, Equatable, CustomStringConvertible {
    case invalidConfiguration(String)
    case unknownModel(name: String, available: [String])

    public var description: String {
        switch self {
        case .invalidConfiguration(let message): return message
        case .unknownModel(let name, let available):
            return "Unknown model '\(name)'. Available: \(available.joined(separator: ", "))."
        }
    }
}
