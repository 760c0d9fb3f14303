import Foundation
import RetortRandom

/// Turns a `Dataset` into batches: seeded shuffling per epoch, batch size, drop-last, train-mode
/// augmentation (or test mode: normalization only), and background preparation of the next batches
/// while the caller works on the current one.
///
/// Everything random derives from (`seed`, epoch, position in the epoch), so the same seed gives the
/// same batches whether or not they are prepared in the background and on however many threads.
/// A batch's samples are prepared (decoded, augmented, normalized) on `workers` threads, each writing
/// its samples straight into the batch's array.
public struct DataLoader: Sendable {
    /// Train mode augments; test mode only normalizes.
    public enum Mode: Equatable, Sendable {
        case train(Augmentation)
        case test
    }

    public let dataset: Dataset
    public let batchSize: Int
    public let mode: Mode
    public let shuffle: Bool
    public let dropLast: Bool
    public let seed: UInt64
    public let normalization: Normalization
    /// How many batches the background thread may prepare ahead; 0 prepares them on the caller's thread.
    public let prefetch: Int
    /// Threads that prepare the samples of a batch (1: the thread that makes the batch).
    public let workers: Int

    /// - Parameters:
    ///   - shuffle: defaults to true in train mode and false in test mode.
    ///   - normalization: defaults to the dataset's own.
    ///   - prefetch: batches prepared ahead on a background thread (0: none).
    ///   - workers: threads preparing each batch's samples; defaults to the number of cores.
    public init(dataset: Dataset, batchSize: Int, mode: Mode = .test, shuffle: Bool? = nil, dropLast: Bool = false,
                seed: UInt64 = 0, normalization: Normalization? = nil, prefetch: Int = 2, workers: Int? = nil) throws {
        guard batchSize > 0 else { throw DataError.invalidArgument("batch size must be positive, got \(batchSize)") }
        guard prefetch >= 0 else { throw DataError.invalidArgument("prefetch must not be negative, got \(prefetch)") }
        let workers = workers ?? ProcessInfo.processInfo.activeProcessorCount
        guard workers > 0 else { throw DataError.invalidArgument("workers must be positive, got \(workers)") }
        guard dataset.count > 0 else { throw DataError.invalidArgument("\(dataset.name) has no samples") }
        let normalization = normalization ?? dataset.normalization
        guard normalization.mean.count == dataset.channels else {
            throw DataError.invalidArgument(
                "normalization has \(normalization.mean.count) channels, \(dataset.name) has \(dataset.channels)")
        }
        try normalization.checkFinite(for: dataset.name)
        self.dataset = dataset
        self.batchSize = batchSize
        self.mode = mode
        self.shuffle = shuffle ?? (mode != .test)
        self.dropLast = dropLast
        self.seed = seed
        self.normalization = normalization
        self.prefetch = prefetch
        self.workers = workers
    }

    /// Batches in one epoch (the last partial batch counts unless `dropLast`).
    public var batchesPerEpoch: Int {
        dropLast ? dataset.count / batchSize : (dataset.count + batchSize - 1) / batchSize
    }

    /// The order of dataset indices in `epoch`: a seeded Fisher–Yates permutation when shuffling,
    /// else 0, 1, 2, ….
    public func order(epoch: Int) -> [Int] {
        var indices = Array(0..<dataset.count)
        guard shuffle else { return indices }
        var generator = SplitMix64(seed: Self.mix(seed, UInt64(bitPattern: Int64(epoch)), 0x5348_5546))
        for i in stride(from: indices.count - 1, to: 0, by: -1) {
            let j = Int(generator.next() % UInt64(i + 1))
            indices.swapAt(i, j)
        }
        return indices
    }

    /// The batches of `epoch`, in order. Iterating prepares up to `prefetch` batches ahead on a
    /// background thread; dropping the iterator stops it.
    public func batches(epoch: Int) -> Epoch {
        Epoch(loader: self, epoch: epoch)
    }

    /// Batch `number` of an epoch whose order is `order` (from `order(epoch:)`). A file-backed dataset's
    /// file that fails to decode is replaced by the next one that decodes (``BadImagePolicy/skip``, whose
    /// index and label the batch then holds) or, under ``BadImagePolicy/fail``, fills its sample with NaN in
    /// train mode (the trainer's finite-input check then stops before the step) and with zeros in test
    /// mode (evaluation finishes; the caller reads ``ImageFiles/failures``).
    public func batch(_ number: Int, epoch: Int, order: [Int]) -> Batch {
        let start = number * batchSize
        var indices = Array(order[start..<min(start + batchSize, order.count)])
        let size = dataset.imageSize
        var images = [Float](repeating: 0, count: indices.count * size)
        let threads = min(workers, indices.count)
        images.withUnsafeMutableBufferPointer { pixels in
            indices.withUnsafeMutableBufferPointer { used in
                let output = BatchOutput(pixels: pixels.baseAddress!, sources: used.baseAddress!)
                let count = used.count
                let prepare = { @Sendable (slots: StrideTo<Int>) in
                    var decoder = dataset.files == nil ? nil : ImageDecoder()
                    for slot in slots {
                        output.sources[slot] = sample(output.sources[slot], epoch: epoch, position: start + slot, decoder: &decoder,
                                                      into: output.pixels + slot * size)
                    }
                }
                if threads <= 1 {
                    prepare(stride(from: 0, to: count, by: 1))
                } else {
                    DispatchQueue.concurrentPerform(iterations: threads) { prepare(stride(from: $0, to: count, by: threads)) }
                }
            }
        }
        return Batch(images: images, labels: indices.map { dataset.labels[$0] }, indices: indices,
                     shape: [indices.count, dataset.channels, dataset.height, dataset.width])
    }

    /// Writes the normalized sample of dataset index `index` at `position` of `epoch` into `output`
    /// and returns the index it came from (another one when a bad file was skipped).
    private func sample(_ index: Int, epoch: Int, position: Int, decoder: inout ImageDecoder?,
                        into output: UnsafeMutablePointer<Float>) -> Int {
        // One generator per (seed, epoch, position): independent of threads and batch size.
        var generator = SplitMix64(seed: Self.mix(seed, UInt64(bitPattern: Int64(epoch)), UInt64(position)))
        let (channels, height, width) = (dataset.channels, dataset.height, dataset.width)
        guard let files = dataset.files, var reader = decoder else {
            switch mode {
            case .test:
                Transforms.normalize(dataset.image(at: index), channels: channels, normalization: normalization, into: output)
            case .train(let augmentation):
                let augmented = augmentation.apply(Array(dataset.image(at: index)), channels: channels, height: height,
                                                   width: width, using: &generator)
                Transforms.normalize(augmented, channels: channels, normalization: normalization, into: output)
            }
            return index
        }
        defer { decoder = reader }
        guard let (image, used) = files.decoded(at: index, channels: channels, decoder: &reader) else {
            output.update(repeating: mode == .test ? 0 : .nan, count: dataset.imageSize)
            return index
        }
        var pixels: [UInt8]
        switch mode {
        case .test:
            pixels = files.sample(image, size: (height, width), crop: nil, using: &generator)
        case .train(let augmentation):
            pixels = files.sample(image, size: (height, width), crop: augmentation.randomResizedCrop, using: &generator)
            pixels = augmentation.apply(pixels, channels: channels, height: height, width: width, using: &generator)
        }
        Transforms.normalize(pixels, channels: channels, normalization: normalization, into: output)
        return used
    }

    /// Mixes three words into one seed (SplitMix64 finalizer over a combination).
    static func mix(_ a: UInt64, _ b: UInt64, _ c: UInt64) -> UInt64 {
        var generator = SplitMix64(seed: a ^ (b &* 0x9E37_79B9_7F4A_7C15) ^ (c &* 0xC2B2_AE3D_27D4_EB4F))
        _ = generator.next()
        return generator.next()
    }
}

/// A batch's pixels and source indices, which the worker threads write at disjoint slots.
private struct BatchOutput: @unchecked Sendable {
    let pixels: UnsafeMutablePointer<Float>
    let sources: UnsafeMutablePointer<Int>
}

extension DataLoader {
    /// One epoch's batches as a sequence.
    public struct Epoch: Sequence, Sendable {
        public let loader: DataLoader
        public let epoch: Int

        public func makeIterator() -> BatchIterator {
            BatchIterator(loader: loader, epoch: epoch)
        }
    }

    /// Yields an epoch's batches, prepared ahead on a background thread when `prefetch > 0`.
    public final class BatchIterator: IteratorProtocol {
        private let loader: DataLoader
        private let epoch: Int
        private let order: [Int]
        private let total: Int
        private var position = 0
        private var queue: PrefetchQueue?

        init(loader: DataLoader, epoch: Int) {
            self.loader = loader
            self.epoch = epoch
            self.order = loader.order(epoch: epoch)
            self.total = loader.batchesPerEpoch
            if loader.prefetch > 0 {
                let queue = PrefetchQueue(depth: loader.prefetch)
                self.queue = queue
                let (order, total) = (order, total)
                let thread = Thread {
                    for number in 0..<total {
                        if queue.isCancelled { break }
                        guard queue.put(loader.batch(number, epoch: epoch, order: order)) else { break }
                    }
                    queue.finish()
                }
                thread.name = "retort-data-prefetch"
                thread.start()
            }
        }

        deinit { queue?.cancel() }

        public func next() -> Batch? {
            if let queue { return queue.take() }
            guard position < total else { return nil }
            defer { position += 1 }
            return loader.batch(position, epoch: epoch, order: order)
        }
    }
}
