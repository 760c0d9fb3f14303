import Foundation
import XCTest

/// `distill` reads how each teacher was trained from its checkpoint: it renormalizes the inputs of a
/// teacher trained under another normalization, warns about a label-smoothed teacher, and reports
/// the teachers' mean predictive entropy.
final class TeacherProvenanceTests: XCTestCase {
    private func folder(_ prefix: String) -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)").path
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    private let data = ["--dataset", "fashion-mnist", "--limit", "128", "--batch-size", "32", "--seed", "2", "--epochs", "1"]

    func testDistillRenormalizesAnotherNormalizationsTeacherWarnsOnLabelSmoothingAndReportsEntropy() throws {
        let teacher = folder("retort-provenance-teacher")
        let trained = try RetortProcess.run(["train", "--model", "plane2", "--label-smoothing", "0.2", "--mean", "0.5", "--std", "0.25",
                                             "--out", teacher] + data)
        XCTAssertEqual(trained.status, 0, trained.output + trained.errors)
        let weights = teacher + "/best.safetensors"
        let student = folder("retort-provenance-student")
        let distill = try RetortProcess.run(["distill", "--student", "plane2", "--teacher", "plane2", "--teacher-weights", weights,
                                             "--out", student] + data)
        XCTAssertEqual(distill.status, 0, distill.output + distill.errors)
        XCTAssert(distill.output.contains("trained on inputs normalized with (0.5000) / (0.2500), the student's are (0.2860) / (0.3530): "
                                          + "renormalizing the teacher's inputs per channel"), distill.output)
        XCTAssert(distill.output.contains("was trained with label smoothing 0.2; Müller et al. (2019) found that label-smoothed teachers "
                                          + "distill worse"), distill.output)
        let entropyLine = try XCTUnwrap(distill.output.split(separator: "\n")
            .first { $0.contains("mean predictive entropy on the test split") })
        let entropy = try XCTUnwrap(Double(entropyLine.split(separator: " ").last ?? ""))
        XCTAssert((0...log(10.0)).contains(entropy), "between 0 and log 10 nats: \(entropyLine)")
        let summary = try String(contentsOfFile: student + "/summary.md", encoding: .utf8)
        let line = String(format: "- teacher plane2: mean predictive entropy %.4f nats on the test split", entropy)
        XCTAssert(summary.contains(line), summary)

        // A student on the teacher's own normalization: no renormalization; a teacher without smoothing: no warning.
        let same = try RetortProcess.run(["distill", "--student", "plane2", "--teacher", "plane2", "--teacher-weights", weights,
                                          "--mean", "0.5", "--std", "0.25", "--out", folder("retort-provenance-same")] + data)
        XCTAssertEqual(same.status, 0, same.output + same.errors)
        XCTAssertFalse(same.output.contains("renormalizing"), same.output)
        let plain = folder("retort-provenance-plain")
        XCTAssertEqual(try RetortProcess.run(["train", "--model", "plane2", "--out", plain] + data).status, 0)
        let quiet = try RetortProcess.run(["distill", "--student", "plane2", "--teacher", "plane2",
                                           "--teacher-weights", plain + "/best.safetensors",
                                           "--out", folder("retort-provenance-quiet")] + data)
        XCTAssertEqual(quiet.status, 0, quiet.output + quiet.errors)
        XCTAssertFalse(quiet.output.contains("label smoothing") || quiet.output.contains("renormalizing"), quiet.output)
    }
}
