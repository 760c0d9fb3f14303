/// One host batch: normalized images [count, channels, height, width] (NCHW, fp32), their labels and
/// the dataset indices they came from.
public struct Batch: Equatable, Sendable {
    /// [count, channels, height, width], normalized.
    public var images: [Float]
    /// One label per image.
    public var labels: [Int]
    /// Dataset index of each image.
    public var indices: [Int]
    /// The shape of `images`: [count, channels, height, width].
    public var shape: [Int]

    /// Number of images.
    public var count: Int { labels.count }

    public init(images: [Float], labels: [Int], indices: [Int], shape: [Int]) {
        self.images = images
        self.labels = labels
        self.indices = indices
        self.shape = shape
    }
}
