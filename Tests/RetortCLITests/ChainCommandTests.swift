import Foundation
import XCTest

/// `retort chain` and `retort sweep-teachers` as a user runs them, on a small slice of the embedded
/// Fashion-MNIST with tiny models.
final class ChainCommandTests: XCTestCase {
    private func folder(_ prefix: String) -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)").path
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    private func json(_ path: String) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
    }

    private let data = ["--dataset", "fashion-mnist", "--limit", "256", "--batch-size", "64", "--seed", "1"]
    private var tiny: [String] { data + ["--epochs", "1"] }

    func testChainTrainsTheTeacherDistillsTheStudentAndTheDirectStudentAndReusesThemOnARerun() throws {
        let out = folder("retort-chain")
        let first = try RetortProcess.run(["chain", "--models", "plane4,plane2", "--compare-direct", "--out", out] + tiny)
        XCTAssertEqual(first.status, 0, first.output + first.errors)
        for stage in ["0-plane4", "1-plane2", "direct-plane2"] {
            let files = Set(try FileManager.default.contentsOfDirectory(atPath: out + "/" + stage))
            XCTAssert(files.isSuperset(of: ["config.json", "metrics.jsonl", "best.safetensors", "last.safetensors", "stage.json"]), "\(stage): \(files)")
        }
        let top = Set(try FileManager.default.contentsOfDirectory(atPath: out))
        XCTAssertEqual(top, ["0-plane4", "1-plane2", "direct-plane2", "summary.md", "chain.json", "config.json", "report.html"])
        // The teacher trained on labels; both students learned from its best checkpoint.
        let teacher = try json(out + "/0-plane4/config.json")
        XCTAssertEqual(teacher["model"] as? String, "plane4")
        XCTAssertNil(teacher["teacher"])
        for stage in ["1-plane2", "direct-plane2"] {
            let student = try json(out + "/\(stage)/config.json")
            XCTAssertEqual(student["model"] as? String, "plane2")
            XCTAssertEqual(student["teacher"] as? [String], ["plane4"])
            XCTAssertEqual(student["teacher-weights"] as? [String], [out + "/0-plane4/best.safetensors"])
            XCTAssertEqual(student["loss"] as? String, "kd")
            XCTAssertEqual(student["limit"] as? Int, 256)
        }
        let chain = try json(out + "/chain.json")
        let stages = try XCTUnwrap(chain["stages"] as? [[String: Any]])
        XCTAssertEqual(stages.map { $0["stage"] as? String }, ["0-plane4", "1-plane2"])
        XCTAssertEqual(stages.map { $0["teacher"] as? String }, [nil, "plane4"])
        XCTAssertNotNil(stages[1]["agreement"])
        XCTAssertNotNil(stages[1]["predictive_kl"])
        XCTAssertEqual((chain["direct"] as? [String: Any])?["stage"] as? String, "direct-plane2")
        let difference = try XCTUnwrap(chain["chain_minus_direct_top1"] as? Double)
        let studentTop1 = try XCTUnwrap(stages[1]["best_top1"] as? Double)
        let directTop1 = try XCTUnwrap((chain["direct"] as? [String: Any])?["best_top1"] as? Double)
        XCTAssertEqual(difference, studentTop1 - directTop1, accuracy: 1e-12)
        // Parameters as the zoo builds them for 1×28×28 and 10 classes (retort models agrees).
        let models = try RetortProcess.run(["models", "--input", "1x28x28", "--classes", "10", "--json"])
        let zoo = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(models.output.utf8)) as? [String: Any])
        let counts = Dictionary(uniqueKeysWithValues: (zoo["models"] as? [[String: Any]] ?? []).map { ($0["name"] as? String ?? "", $0["parameters"] as? Int ?? 0) })
        XCTAssertEqual(stages.map { $0["parameters"] as? Int }, [counts["plane4"], counts["plane2"]])
        // The table is printed and written.
        let summary = try String(contentsOfFile: out + "/summary.md", encoding: .utf8)
        XCTAssert(summary.contains("| 0-plane4 | plane4 | labels (CE) |") && summary.contains("| direct-plane2 | plane2 | plane4 |"), summary)
        XCTAssert(summary.contains("points for the chain"), summary)
        XCTAssert(first.output.contains("| 1-plane2 | plane2 | plane4 |"), first.output)

        // The same command again reuses every stage; --resume DIR does too.
        let second = try RetortProcess.run(["chain", "--models", "plane4,plane2", "--compare-direct", "--out", out] + tiny)
        XCTAssertEqual(second.status, 0, second.output + second.errors)
        for stage in ["0-plane4", "1-plane2", "direct-plane2"] {
            XCTAssert(second.output.contains("\(stage): finished run found"), second.output)
        }
        XCTAssertFalse(second.output.contains("epoch 1/1: train loss"), "nothing trains again")
        let resumed = try RetortProcess.run(["chain", "--resume", out])
        XCTAssertEqual(resumed.status, 0, resumed.output + resumed.errors)
        XCTAssert(resumed.output.contains("direct-plane2: finished run found"), resumed.output)
        XCTAssertEqual(try json(out + "/chain.json")["chain_minus_direct_top1"] as? Double, difference)

        // Given teacher weights: the teacher is evaluated, not trained.
        let given = folder("retort-chain-given")
        let evaluated = try RetortProcess.run(["chain", "--models", "plane4,plane2", "--teacher-weights", out + "/0-plane4/best.safetensors",
                                               "--out", given] + tiny)
        XCTAssertEqual(evaluated.status, 0, evaluated.output + evaluated.errors)
        XCTAssertFalse(FileManager.default.fileExists(atPath: given + "/0-plane4/metrics.jsonl"))
        let givenStages = try XCTUnwrap(try json(given + "/chain.json")["stages"] as? [[String: Any]])
        XCTAssertEqual(givenStages[0]["evaluated"] as? Bool, true)
        XCTAssertEqual(givenStages[0]["best_top1"] as? Double, stages[0]["best_top1"] as? Double, "the same weights on the same test images")
        XCTAssertEqual(try json(given + "/1-plane2/config.json")["teacher-weights"] as? [String], [out + "/0-plane4/best.safetensors"])
    }

    func testAutomaticAssistantsExplainTheChoiceAndRefuseImpossibleChains() throws {
        // The choice is printed before the (missing) teacher weights stop the run.
        let auto = try RetortProcess.run(["chain", "--models", "plane10,plane2", "--assistants", "auto", "--teacher-weights", "/nonexistent",
                                          "--limit", "16"])
        XCTAssertEqual(auto.status, 1)
        XCTAssert(auto.output.contains("assistants: plane") && auto.output.contains("is the closest to the geometric mean"), auto.output)
        XCTAssert(auto.errors.contains("--teacher-weights /nonexistent: no such file"), auto.errors)
        let mixed = try RetortProcess.run(["chain", "--models", "plane10,resnet8", "--assistants", "auto", "--limit", "16"])
        XCTAssertEqual(mixed.status, 2)
        XCTAssert(mixed.errors.contains("one family"), mixed.errors)
        let none = try RetortProcess.run(["chain", "--models", "plane4,plane2", "--assistants", "auto", "--limit", "16"])
        XCTAssertEqual(none.status, 2)
        XCTAssert(none.errors.contains("no member of their family lies strictly between plane4 and plane2"), none.errors)
        let unknown = try RetortProcess.run(["chain", "--models", "plane4,plane2", "--kd-alpha", "0.5"])
        XCTAssertEqual(unknown.status, 2)
        XCTAssert(unknown.errors.contains("unknown option '--kd-alpha' for 'chain'"), unknown.errors)
    }

    func testSweepTeachersDistillsFromEveryKeptCheckpoint() throws {
        let teacher = folder("retort-sweep-teacher")
        let train = try RetortProcess.run(["train", "--model", "plane4", "--save-every", "1", "--epochs", "2", "--out", teacher] + data)
        XCTAssertEqual(train.status, 0, train.output + train.errors)
        XCTAssert(FileManager.default.fileExists(atPath: teacher + "/epoch-2.safetensors"))
        let out = folder("retort-sweep")
        let sweep = try RetortProcess.run(["sweep-teachers", "--run", teacher, "--student", "plane2", "--epochs", "1", "--batch-size", "64",
                                           "--out", out])
        XCTAssertEqual(sweep.status, 0, sweep.output + sweep.errors)
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: out))
        XCTAssertEqual(files, ["from-epoch-1", "from-epoch-2", "sweep.md", "sweep.json", "config.json", "report.html"],
                       "both epochs kept; best is one of them")
        let student = try json(out + "/from-epoch-1/config.json")
        XCTAssertEqual(student["teacher-weights"] as? [String], [teacher + "/epoch-1.safetensors"])
        XCTAssertEqual(student["limit"] as? Int, 256, "the teacher run's data")
        XCTAssertEqual(student["epochs"] as? Int, 1)
        let report = try json(out + "/sweep.json")
        let rows = try XCTUnwrap(report["rows"] as? [[String: Any]])
        let teacherMetrics = try String(contentsOfFile: teacher + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
            .map { try XCTUnwrap(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        XCTAssertEqual(rows.map { ($0["checkpoint"] as? [String: Any])?["teacher_top1"] as? Double }, teacherMetrics.map { $0["test_top1"] as? Double })
        let students = rows.map { ($0["student"] as? [String: Any])?["best_top1"] as? Double ?? -1 }
        let best = try XCTUnwrap(report["best_student_from"] as? String)
        XCTAssertEqual(best, students[1] > students[0] ? "epoch-2.safetensors" : "epoch-1.safetensors")
        XCTAssert(sweep.output.contains("Best student"), sweep.output)
        XCTAssert(try String(contentsOfFile: out + "/sweep.md", encoding: .utf8).contains("| epoch-2.safetensors | 2 |"))

        let again = try RetortProcess.run(["sweep-teachers", "--run", teacher, "--student", "plane2", "--epochs", "1", "--batch-size", "64",
                                           "--out", out])
        XCTAssertEqual(again.status, 0, again.output + again.errors)
        XCTAssert(again.output.contains("from-epoch-1: finished run found") && again.output.contains("from-epoch-2: finished run found"), again.output)

        // A run without kept checkpoints.
        let plain = folder("retort-sweep-plain")
        XCTAssertEqual(try RetortProcess.run(["train", "--model", "plane2", "--out", plain] + tiny).status, 0)
        let refused = try RetortProcess.run(["sweep-teachers", "--run", plain, "--student", "plane2", "--out", folder("retort-sweep-none")])
        XCTAssertEqual(refused.status, 1)
        XCTAssert(refused.errors.contains("retort train --save-every K"), refused.errors)
    }

    /// The sweet-spot grid: the teacher trained per batch size, a student from each kept checkpoint,
    /// the grid table, JSON and plot; the same teachers given as runs give the same students.
    func testSweepTeachersGridTrainsTheTeacherPerBatchSizeAndGivenRunsReproduceIt() throws {
        let out = folder("retort-grid")
        let command = ["sweep-teachers", "--teacher", "plane4", "--batch-sizes", "32,64", "--save-every", "1", "--teacher-epochs", "2",
                       "--student", "plane2", "--epochs", "1", "--out", out] + data
        let grid = try RetortProcess.run(command)
        XCTAssertEqual(grid.status, 0, grid.output + grid.errors)
        XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: out)),
                       ["teacher-bs32", "teacher-bs64", "bs32", "bs64", "sweep.md", "sweep.json", "sweep.svg", "config.json",
                        "report.html"])
        var studentTop1: [Int: [Double]] = [:]
        let report = try json(out + "/sweep.json")
        let columns = try XCTUnwrap(report["columns"] as? [[String: Any]])
        XCTAssertEqual(columns.map { $0["batch_size"] as? Int }, [32, 64])
        for (column, size) in zip(columns, [32, 64]) {
            let teacher = try json(out + "/teacher-bs\(size)/config.json")
            XCTAssertEqual(teacher["batch-size"] as? Int, size)
            XCTAssertEqual(teacher["epochs"] as? Int, 2)
            XCTAssertEqual(teacher["save-every"] as? Int, 1)
            let student = try json(out + "/bs\(size)/from-epoch-2/config.json")
            XCTAssertEqual(student["teacher-weights"] as? [String], [out + "/teacher-bs\(size)/epoch-2.safetensors"])
            XCTAssertEqual(student["batch-size"] as? Int, 64, "the students' own batch size")
            XCTAssertNil(student["save-every"])
            let rows = try XCTUnwrap((column["sweep"] as? [String: Any])?["rows"] as? [[String: Any]])
            let teacherMetrics = try String(contentsOfFile: out + "/teacher-bs\(size)/metrics.jsonl", encoding: .utf8)
                .split(separator: "\n")
                .map { try XCTUnwrap(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
            XCTAssertEqual(rows.map { ($0["checkpoint"] as? [String: Any])?["teacher_top1"] as? Double },
                           teacherMetrics.map { $0["test_top1"] as? Double })
            studentTop1[size] = rows.map { ($0["student"] as? [String: Any])?["best_top1"] as? Double ?? -1 }
        }
        let best = try XCTUnwrap(report["best"] as? [String: Any])
        XCTAssertEqual(best["student_top1"] as? Double, studentTop1.values.joined().max())
        let markdown = try String(contentsOfFile: out + "/sweep.md", encoding: .utf8)
        XCTAssert(markdown.contains("| teacher epoch | batch 32 | batch 64 |") && markdown.contains("Best cell"), markdown)
        let svg = try String(contentsOfFile: out + "/sweep.svg", encoding: .utf8)
        XCTAssertEqual(svg.components(separatedBy: "<polyline").count - 1, 4, "student and teacher per batch size")
        XCTAssertEqual(svg.components(separatedBy: "stroke-dasharray").count - 1, 4, "two dashed teacher lines and their legend keys")

        let again = try RetortProcess.run(command)
        XCTAssertEqual(again.status, 0, again.output + again.errors)
        XCTAssertEqual(again.output.components(separatedBy: "finished run found").count - 1, 6, again.output)

        // The same teachers as given runs: the same students, bit for bit.
        let given = folder("retort-grid-given")
        let runs = try RetortProcess.run(["sweep-teachers", "--run", out + "/teacher-bs32," + out + "/teacher-bs64", "--student", "plane2",
                                          "--epochs", "1", "--batch-size", "64", "--seed", "1", "--out", given])
        XCTAssertEqual(runs.status, 0, runs.output + runs.errors)
        let reproduced = try XCTUnwrap(try json(given + "/sweep.json")["columns"] as? [[String: Any]]).map { column in
            ((column["sweep"] as? [String: Any])?["rows"] as? [[String: Any]] ?? []).map {
                ($0["student"] as? [String: Any])?["best_top1"] as? Double ?? -2
            }
        }
        XCTAssertEqual(reproduced, [studentTop1[32]!, studentTop1[64]!])
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: given + "/bs64/from-epoch-1/best.safetensors")),
                       try Data(contentsOf: URL(fileURLWithPath: out + "/bs64/from-epoch-1/best.safetensors")))
    }

    /// A given teacher is evaluated on the inputs it was trained on (its checkpoint's normalization).
    func testChainEvaluatesAGivenTeacherUnderItsOwnNormalization() throws {
        let teacher = folder("retort-chain-normalized-teacher")
        let small = ["--dataset", "fashion-mnist", "--limit", "256", "--batch-size", "32", "--seed", "1", "--epochs", "2"]
        let trained = try RetortProcess.run(["train", "--model", "plane4", "--mean", "0.5", "--std", "0.25", "--out", teacher] + small)
        XCTAssertEqual(trained.status, 0, trained.output + trained.errors)
        let best = try String(contentsOfFile: teacher + "/metrics.jsonl", encoding: .utf8).split(separator: "\n").map {
            try XCTUnwrap((try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["test_top1"] as? Double)
        }.max() ?? -1
        let top1 = String(format: "test top-1 %.2f%%", best * 100)
        let chain = try RetortProcess.run(["chain", "--models", "plane4,plane2", "--teacher-weights", teacher + "/best.safetensors",
                                           "--out", folder("retort-chain-normalized")] + small)
        XCTAssertEqual(chain.status, 0, chain.output + chain.errors)
        XCTAssert(chain.output.contains("(\(teacher)/best.safetensors): \(top1)"), "the teacher's own accuracy, \(top1):\n\(chain.output)")
        XCTAssert(chain.output.contains("renormalizing the teacher's inputs per channel"), chain.output)
    }
}
