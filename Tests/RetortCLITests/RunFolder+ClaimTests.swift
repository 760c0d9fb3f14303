import Foundation
import XCTest
@testable import retort

/// Run folders are never clobbered: every command that writes one refuses a folder holding a
/// previous run (naming `--resume DIR` and `--force`) before writing anything, and `--force` removes
/// that run's files and nothing else.
final class RunFolderClaimTests: XCTestCase {
    private func folder(_ name: String = "retort-claim") -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    private func write(_ text: String, _ url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    /// Every file under `url` with its bytes.
    private func snapshot(_ url: URL) throws -> [String: Data] {
        var files: [String: Data] = [:]
        let enumerator = FileManager.default.enumerator(atPath: url.path)
        while let path = enumerator?.nextObject() as? String {
            var isFolder: ObjCBool = false
            let full = url.appendingPathComponent(path)
            if FileManager.default.fileExists(atPath: full.path, isDirectory: &isFolder), !isFolder.boolValue {
                files[path] = try Data(contentsOf: full)
            }
        }
        return files
    }

    private func arguments(_ words: [String]) throws -> Arguments {
        try Arguments.parse(words, specs: CLI.specs, global: ["help", "version"])
    }

    func testAPreviousRunIsItsSettingsMetricsCheckpointsAndStageFolders() throws {
        let run = folder()
        XCTAssertEqual(RunFolder.previousRun(in: run), [], "a missing folder")
        try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
        try write("mine", run.appendingPathComponent("notes.txt"))
        try write("mine", run.appendingPathComponent("data/images.bin"))
        try write("mine", run.appendingPathComponent("teacher.safetensors"))
        let elsewhere = folder("retort-claim-elsewhere")
        try write("mine", elsewhere.appendingPathComponent("best.safetensors"))
        try FileManager.default.createSymbolicLink(at: run.appendingPathComponent("linked"), withDestinationURL: elsewhere)
        XCTAssertEqual(RunFolder.previousRun(in: run), [], "other files, and folders behind links, are not a run")
        for name in ["config.json", "metrics.jsonl", "last.safetensors", "0-plane4/best.safetensors", "0-plane4/stage.json",
                     ".last.safetensors.1234.tmp"] {
            try write("run", run.appendingPathComponent(name))
        }
        XCTAssertEqual(Set(RunFolder.previousRun(in: run).map(\.lastPathComponent)),
                       ["config.json", "metrics.jsonl", "last.safetensors", "best.safetensors", "stage.json", ".last.safetensors.1234.tmp"])

        let source = try RunFolder(try arguments(["train"]))
        XCTAssertThrowsError(try source.claim(run.path, for: try arguments(["train"]))) { error in
            let message = "\(error)"
            XCTAssert(message.contains("already holds a run (config.json, metrics.jsonl, last.safetensors and 3 more)"), message)
            XCTAssert(message.contains("Continue it with `retort train --resume \(run.path)`"), message)
            XCTAssert(message.contains("start it over with --force (removes those 6 files)"), message)
        }
        XCTAssertEqual(try source.claim(run.path, for: try arguments(["train", "--force"])).path, run.path)
        XCTAssertEqual(try snapshot(run), ["notes.txt": Data("mine".utf8), "data/images.bin": Data("mine".utf8),
                                           "teacher.safetensors": Data("mine".utf8)],
                       "the run's files and its emptied stage folder are gone, the others kept")
        XCTAssertEqual(try Data(contentsOf: elsewhere.appendingPathComponent("best.safetensors")), Data("mine".utf8))
        XCTAssertEqual(try source.claim(run.path, for: try arguments(["train"])).path, run.path, "now nothing is in the way")
    }

    func testRunFilesAreTheNamesARunWrites() {
        for name in ["best.safetensors", "last.optimizer.safetensors", "best.masks.safetensors", "epoch-12.safetensors",
                     "epoch-3.optimizer.safetensors", "plane2-a.best.safetensors", "resnet8.last.optimizer.safetensors", "modes.csv",
                     ".metrics.jsonl.2F1C-77.tmp", "last.objective.safetensors", "last.objective.optimizer.safetensors",
                     "pruned.masks.safetensors", ".pruned.masks.safetensors.2F1C-77.tmp",
                     "events.out.tfevents.1796659119.node-1.5993.0"] {
            XCTAssert(RunFolder.isRunFile(name), name)
        }
        for name in ["teacher.safetensors", "test-logits.safetensors", "epoch-x.safetensors", "bestest.safetensors", "notes.md",
                     ".teacher.safetensors.2F1C-77.tmp", "config.json.bak", "my.events.out.tfevents.1",
                     "teacher.objective.safetensors"] {
            XCTAssertFalse(RunFolder.isRunFile(name), name)
        }
    }

    func testForceNeverRemovesWhatTheRunReadsAndConflictsWithResume() throws {
        let run = folder()
        try write("{}", run.appendingPathComponent("config.json"))
        try write("teacher", run.appendingPathComponent("best.safetensors"))
        let source = try RunFolder(try arguments(["train"]))
        XCTAssertThrowsError(try source.claim(run.path, for: try arguments(["train", "--force"]),
                                              inputs: [run.path + "/./best.safetensors"])) { error in
            XCTAssert("\(error)".contains("which this run reads"), "\(error)")
        }
        XCTAssertEqual(try snapshot(run).count, 2)
        XCTAssertThrowsError(try RunFolder(try arguments(["train", "--resume", run.path, "--force"]))
            .claim("runs/x", for: try arguments(["train", "--resume", run.path, "--force"]))) { error in
            XCTAssertEqual((error as? CLIError)?.exitCode, 2)
        }
    }

    func testChainAndSweepContinueTheirOwnFolderWithTheSameSettingsOnly() throws {
        let run = folder()
        let settings: [String: Any] = ["models": ["plane4", "plane2"], "epochs": "1", "lr": 0.05, "nesterov": true, "out": run.path]
        try RunFolder.writeSettings(settings, to: run)
        try write("run", run.appendingPathComponent("0-plane4/last.safetensors"))
        let source = try RunFolder(try arguments(["chain"]))
        XCTAssertEqual(try source.claim(run.path, for: try arguments(["chain"]), continuing: settings).path, run.path)
        var other = settings
        other["lr"] = 0.1
        XCTAssertThrowsError(try source.claim(run.path, for: try arguments(["chain"]), continuing: other)) { error in
            XCTAssert("\(error)".contains("`retort chain --resume \(run.path)`"), "\(error)")
        }
        let sweep = try arguments(["sweep-teachers"])
        XCTAssertThrowsError(try source.claim(run.path, for: sweep, continuing: other, resumable: false)) { error in
            XCTAssert("\(error)".contains("Continue it by running the same command with the same settings"), "\(error)")
            XCTAssertFalse("\(error)".contains("--resume"), "\(error)")
        }
    }

    /// The real binary, for every command that writes a run folder: refused before the device
    /// starts, nothing written, exit status 1.
    func testEveryCommandRefusesAFolderHoldingARun() throws {
        let run = folder()
        try write(#"{"model": "plane2"}"#, run.appendingPathComponent("config.json"))
        try write("weights", run.appendingPathComponent("last.safetensors"))
        try write("notes", run.appendingPathComponent("notes.txt"))
        let before = try snapshot(run)
        let inputs = folder("retort-claim-inputs")
        let weights = inputs.appendingPathComponent("teacher.safetensors").path
        try write("weights", URL(fileURLWithPath: weights))
        try write(#"{"model": "plane4", "dataset": "fashion-mnist", "limit": 16}"#, inputs.appendingPathComponent("config.json"))
        try write("weights", inputs.appendingPathComponent("epoch-1.safetensors"))
        let tiny = ["--limit", "16", "--out", run.path]
        let commands: [[String]] = [
            ["train", "--model", "plane2"], ["distill", "--student", "plane2", "--teacher", "plane2", "--teacher-weights", weights],
            ["selfdistill", "--model", "plane2", "--method", "bake"], ["online", "--models", "plane2,plane2", "--method", "dml"],
            ["prune", "--model", "plane2", "--weights", weights, "--method", "magnitude", "--sparsity", "0.5"],
            ["chain", "--models", "plane4,plane2"], ["sweep-teachers", "--run", inputs.path, "--student", "plane2"],
        ]
        for command in commands {
            let result = try RetortProcess.run(command + tiny)
            XCTAssertEqual(result.status, 1, "\(command[0]): \(result.errors)")
            XCTAssert(result.errors.contains("\(run.path) already holds a run (config.json, last.safetensors); nothing was written"),
                      "\(command[0]): \(result.errors)")
            XCTAssert(result.errors.contains("--force"), "\(command[0]): \(result.errors)")
            let resumable = command[0] != "sweep-teachers"
            let offered = result.errors.contains("`retort \(command[0]) --resume \(run.path)`")
            XCTAssertEqual(offered, resumable, "\(command[0]): \(result.errors)")
            XCTAssertFalse(result.output.contains("device:"), "\(command[0]) refused before opening the device")
            XCTAssertEqual(try snapshot(run), before, "\(command[0]) wrote nothing")
        }
    }

    /// A finished run is refused, its files untouched; `--force` trains again from scratch and
    /// removes the old run's extra checkpoints; the default folder gets the same protection.
    func testForceStartsATrainingRunOver() throws {
        let run = folder().path
        let common = ["--model", "plane2", "--limit", "64", "--batch-size", "32", "--seed", "1", "--out", run]
        let first = try RetortProcess.run(["train"] + common + ["--epochs", "2", "--save-every", "1"])
        XCTAssertEqual(first.status, 0, first.output + first.errors)
        try write("mine", URL(fileURLWithPath: run + "/notes.txt"))
        let finished = try snapshot(URL(fileURLWithPath: run))
        XCTAssertNotNil(finished["epoch-2.safetensors"])

        let again = try RetortProcess.run(["train"] + common + ["--epochs", "1"])
        XCTAssertEqual(again.status, 1, again.output + again.errors)
        XCTAssert(again.errors.contains("\(run) already holds a run"), again.errors)
        XCTAssert(again.errors.contains("Continue it with `retort train --resume \(run)`"), again.errors)
        XCTAssertEqual(try snapshot(URL(fileURLWithPath: run)), finished, "nothing overwritten")

        let forced = try RetortProcess.run(["train"] + common + ["--epochs", "1", "--force"])
        XCTAssertEqual(forced.status, 0, forced.output + forced.errors)
        XCTAssert(forced.output.contains("--force: removed the previous run in \(run) (config.json, metrics.jsonl, last.safetensors and"),
                  forced.output)
        let files = try snapshot(URL(fileURLWithPath: run))
        XCTAssertNil(files["epoch-1.safetensors"], "the old run's kept checkpoints are gone")
        XCTAssertEqual(files["notes.txt"], Data("mine".utf8))
        XCTAssertEqual(String(decoding: files["metrics.jsonl"] ?? Data(), as: UTF8.self).split(separator: "\n").count, 1)

        let resumeAndForce = try RetortProcess.run(["train", "--resume", run, "--force"])
        XCTAssertEqual(resumeAndForce.status, 2, resumeAndForce.errors)
    }
}
