import XCTest
import RetortRandom
@testable import RetortData

final class DataLoaderTests: XCTestCase {
    /// 23 single-channel 4×4 images; image i is filled from seed i and labelled i % 5.
    private func toy(count: Int = 23, channels: Int = 1) throws -> Dataset {
        let size = channels * 16
        let images = (0..<count).flatMap { testPixels(size, seed: UInt64($0)) }
        return try Dataset(name: "toy", classes: 5, channels: channels, height: 4, width: 4, images: images,
                           labels: (0..<count).map { $0 % 5 },
                           normalization: Normalization(mean: Array(repeating: 0.5, count: channels),
                                                        std: Array(repeating: 0.25, count: channels)))
    }

    private let train = DataLoader.Mode.train(Augmentation(cropPadding: 1, horizontalFlip: true))

    func testTestModeNormalizesInOrder() throws {
        let dataset = try toy()
        let loader = try DataLoader(dataset: dataset, batchSize: 5, prefetch: 0)
        let batches = Array(loader.batches(epoch: 0))
        XCTAssertEqual(batches.map(\.count), [5, 5, 5, 5, 3])
        XCTAssertEqual(batches.flatMap(\.indices), Array(0..<23), "test mode does not shuffle")
        let last = try XCTUnwrap(batches.last)
        XCTAssertEqual(last.shape, [3, 1, 4, 4])
        XCTAssertEqual(last.labels, [20, 21, 22].map { $0 % 5 })
        for (slot, index) in last.indices.enumerated() {
            for p in 0..<16 {
                let expected = (Float(dataset.images[index * 16 + p]) / 255 - 0.5) / 0.25
                XCTAssertEqual(last.images[slot * 16 + p], expected, accuracy: 1e-6)
            }
        }
    }

    func testShuffleIsSeededPerEpochAndAPermutation() throws {
        let dataset = try toy()
        let loader = try DataLoader(dataset: dataset, batchSize: 4, mode: train, seed: 42)
        let again = try DataLoader(dataset: dataset, batchSize: 4, mode: train, seed: 42)
        let other = try DataLoader(dataset: dataset, batchSize: 4, mode: train, seed: 43)
        let epoch0 = loader.order(epoch: 0), epoch1 = loader.order(epoch: 1)
        XCTAssertEqual(epoch0.sorted(), Array(0..<23))
        XCTAssertEqual(epoch1.sorted(), Array(0..<23))
        XCTAssertNotEqual(epoch0, Array(0..<23))
        XCTAssertNotEqual(epoch0, epoch1, "each epoch reshuffles")
        XCTAssertEqual(epoch0, again.order(epoch: 0))
        XCTAssertEqual(epoch1, again.order(epoch: 1))
        XCTAssertNotEqual(epoch0, other.order(epoch: 0))
        let batches = Array(loader.batches(epoch: 1))
        XCTAssertEqual(batches.flatMap(\.indices), epoch1)
        XCTAssertEqual(batches.flatMap(\.labels), epoch1.map { $0 % 5 })
        XCTAssertEqual(batches, Array(again.batches(epoch: 1)), "same seed, same batches")
    }

    func testDropLast() throws {
        let dataset = try toy()
        let keep = try DataLoader(dataset: dataset, batchSize: 5, mode: train, dropLast: false, seed: 1)
        let drop = try DataLoader(dataset: dataset, batchSize: 5, mode: train, dropLast: true, seed: 1)
        XCTAssertEqual(keep.batchesPerEpoch, 5)
        XCTAssertEqual(drop.batchesPerEpoch, 4)
        let dropped = Array(drop.batches(epoch: 0))
        XCTAssertEqual(dropped.map(\.count), [5, 5, 5, 5])
        XCTAssertEqual(dropped, Array(Array(keep.batches(epoch: 0)).prefix(4)))
        XCTAssertEqual(try DataLoader(dataset: dataset, batchSize: 30, dropLast: true).batchesPerEpoch, 0)
        XCTAssertEqual(Array(try DataLoader(dataset: dataset, batchSize: 30, dropLast: true).batches(epoch: 0)).count, 0)
    }

    func testLimitTakesTheFirstSamples() throws {
        let limited = try toy().prefix(7)
        let loader = try DataLoader(dataset: limited, batchSize: 3, mode: train, seed: 9)
        let indices = Array(loader.batches(epoch: 0)).flatMap(\.indices)
        XCTAssertEqual(indices.sorted(), Array(0..<7))
    }

    func testTrainModeAugmentsDeterministically() throws {
        let dataset = try toy(count: 40, channels: 3)
        let loader = try DataLoader(dataset: dataset, batchSize: 8, mode: train, seed: 5, prefetch: 0)
        let plain = try DataLoader(dataset: dataset, batchSize: 8, mode: .test, shuffle: true, seed: 5, prefetch: 0)
        let augmented = Array(loader.batches(epoch: 0)), normalized = Array(plain.batches(epoch: 0))
        XCTAssertEqual(augmented.map(\.indices), normalized.map(\.indices), "augmentation does not change the order")
        XCTAssertEqual(augmented.first?.shape, [8, 3, 4, 4])
        XCTAssertNotEqual(augmented.map(\.images), normalized.map(\.images), "train mode augments")
        // Every augmented image is one of the 9 crops × 2 flips of its source.
        let batch = augmented[0]
        for (slot, index) in batch.indices.enumerated() {
            let source = Array(dataset.image(at: index))
            var candidates: [[Float]] = []
            for top in 0...2 { for left in 0...2 {
                let crop = Transforms.crop(source, channels: 3, height: 4, width: 4, size: (4, 4), padding: 1, top: top, left: left)
                for image in [crop, Transforms.horizontalFlip(crop, channels: 3, height: 4, width: 4)] {
                    var out = [Float](repeating: 0, count: 48)
                    Transforms.normalize(image, channels: 3, normalization: dataset.normalization, into: &out, at: 0)
                    candidates.append(out)
                }
            } }
            XCTAssertTrue(candidates.contains(Array(batch.images[(slot * 48)..<((slot + 1) * 48)])), "sample \(slot)")
        }
    }

    func testPrefetchGivesTheSameBatches() throws {
        let dataset = try toy(count: 101, channels: 3)
        let direct = try DataLoader(dataset: dataset, batchSize: 8, mode: train, seed: 77, prefetch: 0)
        for depth in [1, 3] {
            let prefetched = try DataLoader(dataset: dataset, batchSize: 8, mode: train, seed: 77, prefetch: depth)
            for epoch in 0..<2 {
                XCTAssertEqual(Array(prefetched.batches(epoch: epoch)), Array(direct.batches(epoch: epoch)),
                               "prefetch \(depth), epoch \(epoch)")
            }
        }
    }

    func testAbandoningAPrefetchingIteratorStopsIt() throws {
        let loader = try DataLoader(dataset: try toy(count: 200), batchSize: 2, mode: train, seed: 1, prefetch: 2)
        for _ in 0..<20 {
            let iterator = loader.batches(epoch: 0).makeIterator()
            XCTAssertEqual(iterator.next()?.count, 2)
        }
        // The producer waits while the consumer works: batches still arrive in order afterwards.
        let iterator = loader.batches(epoch: 3).makeIterator()
        let first = iterator.next()
        Thread.sleep(forTimeInterval: 0.05)
        XCTAssertEqual(first, loader.batch(0, epoch: 3, order: loader.order(epoch: 3)))
        XCTAssertEqual(iterator.next(), loader.batch(1, epoch: 3, order: loader.order(epoch: 3)))
    }

    /// Any number of worker threads gives the batches of one thread, and each sample is the documented
    /// recipe: a generator seeded from (seed, epoch, position in the epoch), the augmentation, the normalization.
    func testWorkersGiveTheBatchesOfOneThread() throws {
        let dataset = try toy(count: 37, channels: 3)
        let one = try DataLoader(dataset: dataset, batchSize: 8, mode: train, seed: 11, prefetch: 0, workers: 1)
        for workers in [2, 3, 8, 64] {
            let many = try DataLoader(dataset: dataset, batchSize: 8, mode: train, seed: 11, prefetch: 2, workers: workers)
            XCTAssertEqual(Array(many.batches(epoch: 1)), Array(one.batches(epoch: 1)), "\(workers) workers")
        }
        let order = one.order(epoch: 1)
        let batch = one.batch(2, epoch: 1, order: order)
        guard case .train(let augmentation) = one.mode else { return XCTFail("train mode") }
        for slot in 0..<batch.count {
            var generator = SplitMix64(seed: DataLoader.mix(11, 1, UInt64(16 + slot)))
            let image = augmentation.apply(Array(dataset.image(at: order[16 + slot])), channels: 3, height: 4, width: 4, using: &generator)
            var expected = [Float](repeating: 0, count: 48)
            Transforms.normalize(image, channels: 3, normalization: dataset.normalization, into: &expected, at: 0)
            XCTAssertEqual(Array(batch.images[(slot * 48)..<((slot + 1) * 48)]), expected, "sample \(slot)")
        }
        XCTAssertThrowsError(try DataLoader(dataset: dataset, batchSize: 8, workers: 0))
    }

    func testInvalidArguments() throws {
        let dataset = try toy()
        XCTAssertDataError(try DataLoader(dataset: dataset, batchSize: 0),
                           .invalidArgument("batch size must be positive, got 0"), mentions: "batch size")
        XCTAssertThrowsError(try DataLoader(dataset: dataset, batchSize: 2,
                                            normalization: Normalization(mean: [0, 0, 0], std: [1, 1, 1])))
    }
}
