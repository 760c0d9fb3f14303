import RetortCompute

// Top-k accuracy on the device: only the count comes back to the host.
//   logits: [B, C]; labels: B class indices; result: the number of rows whose label is a top-k logit

/// A count the device computes with the work recorded around it. Record the rest of the step, then
/// read ``value()`` after the step's submit (a `loss.item()`): it adds no submit of its own.
public struct PendingCount {
    let counts: Buffer
    let context: Context

    /// The count; waits for the work recorded so far (submitting it if nothing else has).
    public func value() throws -> Int {
        try context.synchronize()
        return Int(try counts.read(UInt32.self, count: 1)[0])
    }
}

extension Tensor {
    /// The number of rows of these logits (`[B, C]`) whose label is among the `k` largest logits of
    /// the row, counted on the device so that only the count is read back. The dispatch is recorded
    /// now and runs with the step; ``PendingCount/value()`` reads it.
    ///
    /// A label is in the top k when fewer than `k` logits of its row are strictly greater than its
    /// own, so a tie with the k-th largest counts as a hit (the rule of `Trainer.topK` on host
    /// logits). A NaN label logit never counts. Not recorded: the count has no gradient.
    ///
    /// - Throws: `TensorError.invalidShape` unless `self` is `[B, C]` with `B = labels.count` and
    ///   every label in `0..<C`, or when `k` is not positive.
    public func topKCorrect(labels: [Int], k: Int) throws -> PendingCount {
        if precision.isReduced { return try float32().topKCorrect(labels: labels, k: k) }
        guard shape.count == 2, labels.count == shape[0] else {
            throw TensorError.invalidShape(op: "topKCorrect", shape: shape, expected: "[B, C] logits with B = \(labels.count) labels")
        }
        let classes = shape[1]
        if let bad = labels.first(where: { !(0..<classes).contains($0) }) {
            throw TensorError.invalidShape(op: "topKCorrect", shape: shape, expected: "labels in 0..<\(classes), got \(bad)")
        }
        guard k > 0 else { throw TensorError.invalidShape(op: "topKCorrect", shape: shape, expected: "k > 0, got \(k)") }
        let launcher = try context.launcher(TopKLauncher.self) { try TopKLauncher(device: $0) }
        let labelBuffer = try context.device.makeBuffer(labels.map(UInt32.init))
        let counts = try context.device.makeBuffer(byteCount: 4)
        try launcher.encodeTopKCorrect(into: context.stream, logits: buffer, labels: labelBuffer, counts: counts, rows: shape[0],
                                       columns: classes, topK: [min(k, classes)])
        return PendingCount(counts: counts, context: context)
    }
}
