import Foundation
import XCTest
@testable import retort
import RetortDistill

/// A run folder written by hand with the files a training run leaves: `metrics.jsonl` from given
/// accuracies, `config.json`, and optionally `run.json` and `best-test.json`, so a report's
/// sections can be checked against numbers the test chose.
struct RunFolderFixture {
    var folder: URL

    /// A new folder under a fresh temporary one, removed after `test`.
    init(_ name: String, in parent: URL? = nil, test: XCTestCase) throws {
        let base = parent ?? FileManager.default.temporaryDirectory.appendingPathComponent("report-fixture-\(UUID().uuidString)")
        if parent == nil { test.addTeardownBlock { try? FileManager.default.removeItem(at: base) } }
        folder = base.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    /// One metrics line per test top-1 (epoch 1, 2, …); agreement and KL where given.
    func writeMetrics(top1: [Double], agreement: [Double]? = nil) throws {
        let lines = try top1.enumerated().map { index, accuracy -> String in
            var line: [String: Any] = ["epoch": index + 1, "lr": 0.05 / Double(index + 1), "train_loss": 2.0 - Double(index) * 0.5,
                                       "train_acc": accuracy - 0.01, "test_loss": 1.5 - Double(index) * 0.25, "test_top1": accuracy,
                                       "test_top5": 0.99, "seconds": 2.5, "images_per_s": 100.0, "test_ece": 0.05]
            if let agreement { (line["agreement"], line["predictive_kl"]) = (agreement[index], 0.3 / Double(index + 1)) }
            return String(decoding: try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys]), as: UTF8.self)
        }
        try (lines.joined(separator: "\n") + "\n").write(to: folder.appendingPathComponent("metrics.jsonl"), atomically: true,
                                                          encoding: .utf8)
    }

    func writeConfig(model: String, dataset: String = "fashion-mnist", epochs: Int) throws {
        try RunFolder.writeSettings(["model": model, "dataset": dataset, "epochs": epochs, "seed": 1, "lr": 0.05], to: folder)
    }

    func writeRecord(command: String, teachers: [RunRecord.Teacher] = []) throws {
        try RunRecord(command: command, device: "test device", ranks: 1, teachers: teachers).write(in: folder)
    }

    /// `best-test.json` of a checkpoint whose predictions are `logits` for `labels`.
    func writeDetails(epoch: Int, logits: [Float], labels: [Int], classes: Int) throws {
        let encoder = JSONEncoder()
        let reliability = try JSONSerialization.jsonObject(with: encoder.encode(ReliabilityBins(logits: logits, labels: labels)))
        let matrix = ConfusionMatrix(logits: logits, labels: labels, classes: classes)
        let confusion = try JSONSerialization.jsonObject(with: encoder.encode(matrix))
        let correct = labels.indices.filter { row in
            logits[row * classes..<(row + 1) * classes].indices.max { logits[$0] < logits[$1] }! - row * classes == labels[row]
        }.count
        let details: [String: Any] = ["epoch": epoch, "top1": Double(correct) / Double(labels.count), "reliability": reliability,
                                      "confusion": confusion]
        try JSONSerialization.data(withJSONObject: details).write(to: Trainer.bestTestURL(in: folder))
    }
}
