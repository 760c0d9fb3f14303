import Foundation
import XCTest
import RetortCheckpoint

/// `retort distill --loss camkd` end to end on a small slice of Fashion-MNIST: two tiny teachers with
/// last stage maps of different shapes (plane4: 32×7×7, plane6: 64×3×3) teach a plane2 student
/// (16×7×7) with CA-MKD's logit and feature terms.
final class DistillCommandCAMKDTests: XCTestCase {
    private func folder(_ name: String) -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("retort-camkd-\(name)-\(UUID().uuidString)").path
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    /// The float tensors of a run's `last.safetensors` (the student).
    private func weights(_ run: String) throws -> [String: [Float]] {
        let file = try SafeTensors(contentsOf: URL(fileURLWithPath: run + "/last.safetensors"))
        return Dictionary(uniqueKeysWithValues: file.names.compactMap { name in
            file[name].flatMap { $0.dtype == .float32 ? (name, $0.floats()) : nil }
        })
    }

    func testFeatureTermTrainsAndWeightZeroIsTheLogitTermAlone() throws {
        let data = folder("data")
        try FashionMNISTSubset.write(count: 256, to: URL(fileURLWithPath: data))
        let common = ["--dataset", "fashion-mnist", "--data-dir", data, "--batch-size", "64", "--epochs", "1", "--seed", "1"]
        var teachers: [String] = []
        for model in ["plane4", "plane6"] {
            let run = folder(model)
            let trained = try RetortProcess.run(["train", "--model", model, "--out", run] + common)
            XCTAssertEqual(trained.status, 0, trained.output + trained.errors)
            teachers += ["--teacher", model, "--teacher-weights", run + "/last.safetensors"]
        }
        func distill(_ options: [String]) throws -> (run: String, output: String) {
            let run = folder("student")
            let result = try RetortProcess.run(["distill", "--student", "plane2", "--loss", "camkd", "--out", run]
                                               + teachers + common + options)
            XCTAssertEqual(result.status, 0, result.output + result.errors)
            return (run, result.output)
        }
        // The feature term counts from epoch 0 here (the reference's default starts it at the second epoch).
        let full = try distill(["--camkd-inter-from", "0"])
        XCTAssert(full.output.contains("objective: ce + camkd + 50.0·camkd-inter"), full.output)
        let logitOnly = try distill(["--camkd-inter-weight", "0"])
        XCTAssert(logitOnly.output.contains("objective: ce + camkd;"), logitOnly.output)
        // A term that never counts (from epoch 5 of 1) leaves the student as the logit term alone does, bit for bit.
        let neverCounted = try distill(["--camkd-inter-from", "5"])
        XCTAssert(neverCounted.output.contains("camkd-inter"), neverCounted.output)

        let fullWeights = try weights(full.run), logitWeights = try weights(logitOnly.run)
        XCTAssertEqual(try weights(neverCounted.run), logitWeights)
        XCTAssertEqual(Set(fullWeights.keys), Set(logitWeights.keys))
        XCTAssertNotEqual(fullWeights, logitWeights, "the feature term changed nothing")
        XCTAssert(fullWeights.values.allSatisfy { $0.allSatisfy(\.isFinite) })
    }
}
