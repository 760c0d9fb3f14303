// One-hot rows built on the host (a constant: no gradient).
//   labels: B class indices → [B, classes]

extension Tensor {
    /// A `[labels.count, classes]` tensor with `on` at each row's label and `off` elsewhere.
    public static func oneHot(_ labels: [Int], classes: Int, on: Float = 1, off: Float = 0, context: Context) throws -> Tensor {
        var values = [Float](repeating: off, count: labels.count * classes)
        for (row, label) in labels.enumerated() {
            guard (0..<classes).contains(label) else {
                throw TensorError.invalidShape(op: "oneHot", shape: [labels.count, classes], expected: "labels in 0..<\(classes), got \(label)")
            }
            values[row * classes + label] = on
        }
        return try Tensor(values, shape: [labels.count, classes], context: context)
    }
}
