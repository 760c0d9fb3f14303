import Foundation
import RetortCheckpoint

/// What a report shows of a checkpoint on the test split beyond its accuracy: the reliability
/// bins and the confusion matrix (`best-test.json` beside `best.safetensors`).
public struct TestSplitDetails: Codable, Equatable, Sendable {
    /// The 1-based epoch the checkpoint was saved after.
    public var epoch: Int
    public var top1: Double
    public var reliability: ReliabilityBins
    public var confusion: ConfusionMatrix

    public init(epoch: Int, _ evaluation: Evaluation) {
        (self.epoch, top1, reliability, confusion) = (epoch, evaluation.top1, evaluation.reliability, evaluation.confusion)
    }

    /// Reads a file written by ``write(to:)``.
    public init(contentsOf url: URL) throws {
        self = try JSONDecoder().decode(Self.self, from: Data(contentsOf: url))
    }

    /// Writes the details as JSON, atomically.
    public func write(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try AtomicFile.write(try encoder.encode(self), to: url)
    }
}
