import Foundation
import XCTest
@testable import RetortDistill

/// A stage runner that trains nothing: it writes a run folder as the trainer would (metrics.jsonl,
/// best/last weights whose bytes say which stage and epoch they hold) and records what it was asked,
/// including the bytes of the teacher weights it was handed.
final class FakeStageRunner {
    /// Test top-1 per epoch by stage name or model (the best need not be the last).
    var accuracies: [String: [Double]] = [:]
    /// Stages that report a Ctrl-C instead of finishing.
    var interrupts: Set<String> = []
    private(set) var requests: [StageRequest] = []
    /// The contents of the teacher weights each stage was handed, by stage name.
    private(set) var teacherBytes: [String: String] = [:]
    let parameters: [String: Int]

    init(parameters: [String: Int] = ["plane10": 2_487_850, "plane8": 327_962, "plane6": 82_778, "plane4": 37_338, "plane2": 13_082]) {
        self.parameters = parameters
    }

    static func metrics(epoch: Int, top1: Double, distilled: Bool) -> EpochMetrics {
        EpochMetrics(epoch: epoch, learningRate: 0.1, trainLoss: 1, trainAccuracy: top1, testLoss: 1, testTop1: top1, testTop5: 1,
                     seconds: 2, imagesPerSecond: 100, testCalibrationError: 0.01 * Double(epoch),
                     agreement: distilled ? 0.5 + 0.1 * Double(epoch) : nil, predictiveKL: distilled ? 1.0 / Double(epoch) : nil)
    }

    func run(_ request: StageRequest) throws -> StageResult {
        requests.append(request)
        if let teacher = request.teacher {
            teacherBytes[request.name] = try String(contentsOf: teacher.weights, encoding: .utf8)
        }
        if case .evaluate = request.task {
            return StageResult(history: [], parameterCount: parameters[request.model] ?? 0, seconds: 0.5, evaluation: (0.9, 0.03))
        }
        let top1 = accuracies[request.name] ?? accuracies[request.model] ?? [0.5, 0.6]
        let history = top1.enumerated().map { Self.metrics(epoch: $0.offset + 1, top1: $0.element, distilled: request.teacher != nil) }
        let folder = request.directory
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let bestEpoch = StageSummary.bestEpoch(of: history)!.epoch
        if interrupts.contains(request.name) {
            try "last of \(request.name) at epoch 1".write(to: folder.appendingPathComponent("last.safetensors"), atomically: true, encoding: .utf8)
            return StageResult(history: Array(history.prefix(1)), parameterCount: parameters[request.model] ?? 0, seconds: 1, interrupted: true)
        }
        try "best of \(request.name) at epoch \(bestEpoch)".write(to: folder.appendingPathComponent("best.safetensors"), atomically: true,
                                                                 encoding: .utf8)
        try "last of \(request.name) at epoch \(history.count)".write(to: folder.appendingPathComponent("last.safetensors"), atomically: true,
                                                                     encoding: .utf8)
        let encoder = JSONEncoder()
        let lines = try history.map { String(decoding: try encoder.encode($0), as: UTF8.self) }
        try (lines.joined(separator: "\n") + "\n").write(to: folder.appendingPathComponent("metrics.jsonl"), atomically: true, encoding: .utf8)
        return StageResult(history: history, parameterCount: parameters[request.model] ?? 0, seconds: 3)
    }
}

extension XCTestCase {
    /// A fresh temporary folder, removed after the test.
    func temporaryFolder(_ prefix: String) -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }
}
