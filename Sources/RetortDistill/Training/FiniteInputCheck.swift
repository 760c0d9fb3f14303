import RetortData

/// A batch source that hands on the batches of another until one holds NaN or ±infinity: there its
/// epoch ends early and ``check()`` throws ``TrainingError/nonFiniteInput(epoch:step:image:value:)``,
/// so a trainer stops before that step instead of training on it. The check is a host-side scan of
/// each batch's floats before they are uploaded (no device readback); `retort-bench soak` reports
/// its cost per step.
final class FiniteInputCheck: BatchSource {
    let source: any BatchSource
    /// The first non-finite input seen: epoch, step, image in the batch, value.
    private(set) var problem: (epoch: Int, step: Int, image: Int, value: Float)?

    init(_ source: any BatchSource) { self.source = source }

    var batchesPerEpoch: Int { source.batchesPerEpoch }

    func epochBatches(_ epoch: Int) throws -> AnySequence<Batch> {
        let batches = try source.epochBatches(epoch)
        return AnySequence { [self] () -> AnyIterator<Batch> in
            var iterator = batches.makeIterator()
            var step = 0
            return AnyIterator { () -> Batch? in
                guard self.problem == nil, let batch = iterator.next() else { return nil }
                if let index = Self.firstNonFinite(batch.images) {
                    let perImage = max(1, batch.images.count / max(batch.count, 1))
                    self.problem = (epoch, step, index / perImage, batch.images[index])
                    return nil
                }
                step += 1
                return batch
            }
        }
    }

    /// Throws the non-finite input that ended an epoch early, if one did.
    func check() throws(TrainingError) {
        if let problem { throw .nonFiniteInput(epoch: problem.epoch, step: problem.step, image: problem.image, value: problem.value) }
    }

    /// The index of the first NaN or ±inf in `values`, or nil. An all-ones exponent marks both; the
    /// common all-finite case is one branch-free pass over the bit patterns.
    static func firstNonFinite(_ values: [Float]) -> Int? {
        let exponent: UInt32 = 0x7f80_0000
        let largest = values.withUnsafeBufferPointer { buffer in
            buffer.reduce(UInt32(0)) { Swift.max($0, $1.bitPattern & exponent) }
        }
        return largest == exponent ? values.firstIndex { !$0.isFinite } : nil
    }
}
