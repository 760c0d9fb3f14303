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

    /// The images `rows` of this batch, as a batch (a data-parallel rank's share, a ghost batch).
    public func rows(_ rows: Range<Int>) -> Batch {
        let size = count == 0 ? 0 : images.count / count
        var shape = self.shape
        shape[0] = rows.count
        return Batch(images: Array(images[rows.lowerBound * size..<rows.upperBound * size]), labels: Array(labels[rows]),
                     indices: Array(indices[rows]), shape: shape)
    }

    public init(images: [Float], labels: [Int], indices: [Int], shape: [Int]) {
        self.images = images
        self.labels = labels
        self.indices = indices
        self.shape = shape
    }
}
