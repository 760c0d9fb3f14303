import Foundation
import RetortCheckpoint

/// What a training run records about itself beside its settings (`run.json`): the command, the
/// device it ran on, and its teachers' test top-1 (measured when the run starts), so the report
/// shows them without evaluating anything.
struct RunRecord: Codable, Equatable {
    /// A teacher of a distilled run and its accuracy on the run's test split.
    struct Teacher: Codable, Equatable {
        var model: String
        var weights: String
        var testTop1: Double

        enum CodingKeys: String, CodingKey {
            case model, weights, testTop1 = "test_top1"
        }
    }

    /// `train`, `distill`, `selfdistill`, `prune`.
    var command: String
    /// The device's summary line (`retort devices`).
    var device: String
    /// Processes of a data-parallel run; 1 otherwise.
    var ranks: Int
    var teachers: [Teacher]

    static let fileName = "run.json"

    /// The record of the run in `folder`, or nil when it has none (written by an older version).
    init?(in folder: URL) {
        guard let data = try? Data(contentsOf: folder.appendingPathComponent(Self.fileName)),
              let record = try? JSONDecoder().decode(Self.self, from: data) else { return nil }
        self = record
    }

    init(command: String, device: String, ranks: Int, teachers: [Teacher]) {
        (self.command, self.device, self.ranks, self.teachers) = (command, device, ranks, teachers)
    }

    /// Writes `folder/run.json` atomically.
    func write(in folder: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            try AtomicFile.write(try encoder.encode(self), to: folder.appendingPathComponent(Self.fileName))
        } catch {
            throw CLIError.failed("\(error)")
        }
    }
}
