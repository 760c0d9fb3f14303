import RetortData
import Retort
import RetortNN

/// A classifier that sees its inputs under another normalization than the one it is fed: a teacher
/// trained on `(x/255 − mean_t)/std_t` inputs, in a run whose batches are `(x/255 − mean_s)/std_s`,
/// gets per channel `x_t = (x_s·std_s + mean_s − mean_t)/std_t` — exactly the inputs it was trained
/// on — so the trainer needs no change. Its entries are the wrapped classifier's, under `classifier.`.
public final class RenormalizedClassifier: Classifier {
    public let classifier: any Classifier
    /// The normalization of the inputs this wrapper receives.
    public let from: Normalization
    /// The normalization the wrapped classifier was trained on.
    public let to: Normalization
    /// `std_s / std_t` and `(mean_s − mean_t) / std_t` per channel: `x_t = scale·x_s + shift`.
    private let scale: Tensor, shift: Tensor

    /// - Throws: when the two normalizations differ in channel count.
    public init(_ classifier: any Classifier, from: Normalization, to: Normalization, context: Context) throws {
        guard from.mean.count == to.mean.count else {
            throw ModelError.invalidConfiguration("the inputs have \(from.mean.count) channels but the teacher's normalization has "
                                                     + "\(to.mean.count); it was trained on another dataset")
        }
        self.classifier = classifier
        self.from = from
        self.to = to
        let channels = from.mean.indices
        scale = try Tensor(channels.map { Float(Double(from.std[$0]) / Double(to.std[$0])) }, shape: [from.mean.count], context: context)
        shift = try Tensor(channels.map { Float((Double(from.mean[$0]) - Double(to.mean[$0])) / Double(to.std[$0])) },
                           shape: [from.mean.count], context: context)
    }

    public var entries: [ModuleEntry] { [.child("classifier", classifier)] }

    public var isTraining: Bool {
        get { classifier.isTraining }
        set { classifier.isTraining = newValue }
    }

    /// The wrapped classifier's input from this wrapper's.
    public func renormalized(_ input: Tensor) throws -> Tensor {
        try input.multiplying(scale, per: .columns).adding(shift, per: .columns)
    }

    public func features(_ input: Tensor, preact: Bool) throws -> FeatureTaps {
        try classifier.features(renormalized(input), preact: preact)
    }

    public func logits(fromPooled pooled: Tensor) throws -> Tensor { try classifier.logits(fromPooled: pooled) }

    public func logits(fromLastStage map: Tensor) throws -> Tensor { try classifier.logits(fromLastStage: map) }
}
