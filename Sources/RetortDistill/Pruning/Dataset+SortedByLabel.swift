import RetortData

extension Dataset {
    /// The same samples ordered by label, ties in their original order (a stable sort; PrUE's
    /// `torch.sort(targets)` on CPU keeps the same order in practice). With an unshuffled loader
    /// whose batch size divides the class sizes, every batch holds one label, as PrUE's scoring pass
    /// assumes.
    public func sortedByLabel() -> Dataset {
        let order = labels.indices.sorted { (labels[$0], $0) < (labels[$1], $1) }
        var sorted = self
        sorted.labels = order.map { labels[$0] }
        switch storage {
        case .memory(let all):
            var pixels: [UInt8] = []
            pixels.reserveCapacity(all.count)
            for index in order { pixels += image(at: index) }
            sorted.images = pixels
        case .files(var files):
            files.paths = order.map { files.paths[$0] }
            sorted.storage = .files(files)
        }
        return sorted
    }
}
