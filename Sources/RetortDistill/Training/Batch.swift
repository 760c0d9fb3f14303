/// One batch on the host: images [B, C, H, W] (normalized floats, row-major) and class labels.
public struct Batch: Sendable {
    public var images: [Float]
    public var shape: [Int]
    public var labels: [Int]

    public init(images: [Float], shape: [Int], labels: [Int]) {
        self.images = images
        self.shape = shape
        self.labels = labels
    }
}

/// Where a trainer gets its batches: the same epoch number must give the same batches (seeded
/// shuffling and augmentation), which is what makes a resumed run match an uninterrupted one.
public protocol BatchSource {
    /// The batches of one epoch (for evaluation sources, the epoch is ignored).
    func batches(epoch: Int) throws -> [Batch]
}
