import Retort
import RetortData
import RetortNN

/// A classifier's last linear layer, `logits = W·h + b`, and its input `h`, the penultimate-layer
/// activations: the rows of `W` are the class templates of Müller, Kornblith & Hinton (2019).
///
/// For every zoo model the last layer is the last `Linear` module in registration order. Its input
/// is ``FeatureTaps/pooled`` (the pooled or, for the plain CNNs, flattened feature vector), except in
/// plain CNNs with hidden fully connected layers (`plane8`, `plane10`), where it is the output of the
/// last hidden layer. Every batch checks that `W·h + b` gives the network's logits, so a head of
/// another form is an error rather than a wrong picture.
public struct PenultimateLayer {
    /// One example's activations.
    public struct Example {
        public var label: Int
        /// `h`, ``PenultimateLayer/width`` values.
        public var activations: [Float]

        public init(label: Int, activations: [Float]) { (self.label, self.activations) = (label, activations) }
    }

    /// The last layer's weight, `[classes][width]`: row `k` is class `k`'s template `w_k`.
    public let templates: [[Float]]
    /// The last layer's bias (zeros without one).
    public let bias: [Float]
    let model: any Classifier
    let head: Linear
    /// The modules between ``FeatureTaps/pooled`` and ``head`` (hidden fully connected layers).
    let hidden: [any Module]

    /// The width of `h`.
    public var width: Int { head.weight.shape[1] }

    /// Finds `model`'s last linear layer and reads its weights.
    public init(of model: any Classifier) throws {
        func linears(_ module: any Module) -> [Linear] {
            module.entries.flatMap { entry -> [Linear] in
                guard case .child(_, let child) = entry else { return [] }
                return (child as? Linear).map { [$0] } ?? linears(child)
            }
        }
        let name = String(describing: type(of: model))
        guard let head = linears(model).last else { throw DiagnosticError.noLinearHead(model: name) }
        if let plain = model as? PlainCNN, let first = plain.layers.layers.firstIndex(where: { $0 is Linear }) {
            hidden = Array(plain.layers.layers[first..<(plain.layers.layers.count - 1)])
        } else {
            hidden = []
        }
        let weight = try head.weight.toArray(), columns = head.weight.shape[1]
        templates = stride(from: 0, to: weight.count, by: columns).map { Array(weight[$0..<$0 + columns]) }
        bias = try head.bias?.toArray() ?? [Float](repeating: 0, count: templates.count)
        (self.model, self.head) = (model, head)
    }

    /// The activations `h` of a batch of images, `[N, width]` row-major, in evaluation mode. Checks
    /// that the last layer maps them to the network's logits.
    public func activations(of images: Tensor) throws -> [Float] {
        model.eval()
        return try images.context.noGrad {
            let taps = try model.features(images)
            var h = taps.pooled
            for module in hidden { h = try module(h) }
            let values = try h.toArray(), logits = try taps.logits.toArray()
            let rows = taps.logits.shape[0], classes = templates.count
            guard h.shape == [rows, width], logits.count == rows * classes else {
                throw DiagnosticError.headMismatch(model: String(describing: type(of: model)), difference: .infinity)
            }
            var difference = 0.0, scale = 1.0
            for row in 0..<rows {
                for k in 0..<classes {
                    var z = Double(bias[k])
                    for i in 0..<width { z += Double(templates[k][i]) * Double(values[row * width + i]) }
                    difference = max(difference, abs(z - Double(logits[row * classes + k])))
                    scale = max(scale, abs(z))
                }
            }
            guard difference <= 1e-3 * scale else {
                throw DiagnosticError.headMismatch(model: String(describing: type(of: model)), difference: difference)
            }
            return values
        }
    }

    /// The activations of every image of `source` whose label is in `classes`, in the source's order.
    public func examples(from source: any BatchSource, classes: Set<Int>) throws -> [Example] {
        let context = model.parameters()[0].context
        var examples: [Example] = []
        for batch in try source.epochBatches(0) where batch.labels.contains(where: classes.contains) {
            let values = try activations(of: Tensor(batch.images, shape: batch.shape, context: context))
            for (row, label) in batch.labels.enumerated() where classes.contains(label) {
                examples.append(Example(label: label, activations: Array(values[row * width..<(row + 1) * width])))
            }
        }
        return examples
    }
}
