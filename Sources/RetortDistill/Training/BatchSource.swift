import RetortData

/// Where a trainer gets its batches: the same epoch number must give the same batches (seeded
/// shuffling and augmentation), which is what makes a resumed run match an uninterrupted one.
/// `DataLoader` is one; tests use synthetic sources.
public protocol BatchSource {
    /// Batches in one epoch.
    var batchesPerEpoch: Int { get }
    /// The batches of one epoch, in order (evaluation sources ignore the epoch).
    func epochBatches(_ epoch: Int) throws -> AnySequence<Batch>
}

extension DataLoader: BatchSource {
    public func epochBatches(_ epoch: Int) throws -> AnySequence<Batch> { AnySequence(batches(epoch: epoch)) }
}
