import RetortDistill

/// Random images (uniform in -1…1) and labels in a dataset's shape, for timing runs that need no
/// dataset: `count` batches per epoch, cycling through a few distinct ones (the same every epoch).
struct SyntheticBatches: BatchSource {
    let batchesPerEpoch: Int
    private let distinct: [Batch]

    init(count: Int, batchSize: Int, channels: Int, side: Int, classes: Int, seed: UInt64) {
        var generator = SplitMix64(seed: seed)
        let size = channels * side * side
        batchesPerEpoch = count
        distinct = (0..<min(count, 4)).map { index in
            let first = index * batchSize
            return Batch(images: generator.floats(batchSize * size), labels: (first..<first + batchSize).map { $0 % classes },
                         indices: Array(first..<first + batchSize), shape: [batchSize, channels, side, side])
        }
    }

    func epochBatches(_ epoch: Int) throws -> AnySequence<Batch> {
        AnySequence((0..<batchesPerEpoch).lazy.map { distinct[$0 % distinct.count] })
    }
}
