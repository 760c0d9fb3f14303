import Foundation
import XCTest

/// kill -9 at random moments, then `--resume DIR`: every trial resumes (never a corrupt or missing
/// checkpoint; a run killed before its first checkpoint starts over from its `config.json`), loses
/// at most `--save-every-steps` steps (an epoch without it), and ends with the weights, optimizer
/// state and metrics (timing aside) of an uninterrupted run, bit for bit.
///
/// The kill moments are spread over the uninterrupted run's wall time: a quarter of the trials over
/// its start (up to its first step: device, data, model), counted from the process start; the rest
/// over its training, counted from the trial's own first step (so a loaded machine does not shift
/// them); each trial uniform in its own slice of that span, drawn from `RETORT_CRASH_SEED` (default
/// 14; every failure names its seed, trial and moment). A few trials
/// per command run in every test run; `RETORT_CRASH_TRIALS=24` (or `make crash-test`) runs more.
/// With `--save-every-steps 1` a checkpoint is written after every step, so kills land inside writes.
final class CrashConsistencyTests: XCTestCase {
    /// The data and optimizer flags of every run here: 4 steps per epoch.
    private let data = ["--dataset", "fashion-mnist", "--limit", "128", "--batch-size", "32", "--lr", "0.05", "--seed", "3"]
    private let stepsPerEpoch = 4

    func testTrainResumesAfterAKillAtAnyMoment() throws {
        try crashTrials("train", ["train", "--model", "plane2", "--epochs", "2"] + data, trials: Self.trials(default: 4))
    }

    /// fp16 mixed precision: the loss scaler's state (scale, clean-step count) resumes with the run.
    func testFP16TrainResumesAfterAKillAtAnyMoment() throws {
        try crashTrials("train-fp16", ["train", "--model", "plane2", "--epochs", "2", "--precision", "fp16"] + data,
                        trials: Self.trials(default: 3))
    }

    func testDistillResumesAfterAKillAtAnyMoment() throws {
        try crashTrials("distill", ["distill", "--student", "plane2", "--teacher", "plane2", "--teacher-weights",
                                    try trainedTeacher().path, "--loss", "kd", "--epochs", "2"] + data,
                        trials: Self.trials(default: 2))
    }

    /// SwitOKD: two networks saved together, a mode and counters carried across steps and epochs.
    func testOnlineResumesAtTheStepAfterAKillAtAnyMoment() throws {
        try crashTrials("online", ["online", "--models", "plane2,plane2", "--method", "switokd", "--epochs", "2"] + data,
                        trials: Self.trials(default: 3))
    }

    /// SwitOKD 1t2s: three networks, a switch and its counters per teacher→student pair. At `--lr 0.01`:
    /// each network learns from two peers here, and at 0.05 a student collapses to one class.
    func testThreeNetworkOnlineResumesAtTheStepAfterAKillAtAnyMoment() throws {
        let slower = data.map { $0 == "0.05" ? "0.01" : $0 }
        try crashTrials("online-1t2s", ["online", "--models", "plane2,plane2,plane2", "--method", "switokd", "--topology", "1t2s",
                                        "--epochs", "2"] + slower, trials: Self.trials(default: 3))
    }

    /// A killed stage continues from its last checkpoint; finished stages are reused, not trained again.
    func testChainKeepsFinishedStagesAfterAKillAtAnyMoment() throws {
        try crashTrials("chain", ["chain", "--models", "plane4,plane2", "--epochs", "1"] + data, trials: Self.trials(default: 2),
                        countsSteps: false) { run, killedOutput, resumed in
            let teacherStage = run.appendingPathComponent("0-plane4/stage.json")
            if killedOutput.contains("== stage 1-plane2") {
                XCTAssert(resumed.contains("0-plane4: finished run found"), "the finished teacher stage is reused:\n\(resumed)")
            }
            XCTAssert(FileManager.default.fileExists(atPath: teacherStage.path))
        }
    }

    /// Self-distillation (BAKE: the batch's own knowledge ensemble as soft targets).
    func testSelfDistillResumesAfterAKillAtAnyMoment() throws {
        try crashTrials("selfdistill", ["selfdistill", "--model", "plane2", "--method", "bake", "--epochs", "2"] + data,
                        trials: Self.trials(default: 2))
    }

    /// CRD: its heads (and their momentum), memory banks, Z and the sampler's position go into `last`.
    func testDistillWithCRDResumesAfterAKillAtAnyMoment() throws {
        let teacher = try trainedTeacher()
        try crashTrials("distill-crd", ["distill", "--student", "plane2", "--teacher", "plane2", "--teacher-weights", teacher.path,
                                        "--loss", "crd", "--crd-negatives", "32", "--crd-dim", "16", "--epochs", "2"] + data,
                        trials: Self.trials(default: 2))
    }

    /// CA-MKD with its feature term from the first step: the per-teacher embeddings (weights, batch-norm
    /// statistics, momentum) are the term's state and continue bit for bit.
    func testDistillWithCAMKDResumesAfterAKillAtAnyMoment() throws {
        let teacher = try trainedTeacher().path
        try crashTrials("distill-camkd", ["distill", "--student", "plane2", "--teacher", "plane2", "--teacher-weights", teacher,
                                          "--teacher", "plane2", "--teacher-weights", teacher, "--loss", "camkd",
                                          "--camkd-inter-from", "0", "--epochs", "2"] + data,
                        trials: Self.trials(default: 2)) { run, _, _ in
            let state = run.appendingPathComponent("last.objective.safetensors")
            XCTAssert(FileManager.default.fileExists(atPath: state.path), "the embeddings are saved beside last")
        }
    }

    /// One-shot pruning: the masks are kept, the fine-tuning continues at its step.
    func testPruneResumesAfterAKillAtAnyMoment() throws {
        let teacher = try trainedTeacher()
        try crashTrials("prune", ["prune", "--model", "plane2", "--weights", teacher.path, "--method", "magnitude", "--sparsity", "0.5",
                                  "--epochs", "2"] + data, trials: Self.trials(default: 2), check: Self.samePruningReport)
    }

    /// Iterative pruning: finished rounds are kept, the current one continues at its step.
    func testIterativePruneResumesAtTheRoundAfterAKillAtAnyMoment() throws {
        let teacher = try trainedTeacher()
        try crashTrials("prune-iterative", ["prune", "--model", "plane2", "--weights", teacher.path, "--method", "iterative",
                                            "--rounds", "2", "--epochs", "1"] + data,
                        trials: Self.trials(default: 2), countsSteps: false) { run, killedOutput, resumed in
            Self.samePruningReport(run, killedOutput, resumed)
            if killedOutput.contains("round 2/2") {
                XCTAssert(resumed.contains("round-1: finished fine-tuning found, kept"), "the finished round is kept:\n\(resumed)")
            }
        }
    }

    /// A plane2 trained for one epoch on the data of these runs: its `best.safetensors`.
    private func trainedTeacher() throws -> URL {
        let teacher = folder().appendingPathComponent("teacher")
        let trained = try RetortProcess.run(["train", "--model", "plane2", "--epochs", "1", "--out", teacher.path] + data)
        XCTAssertEqual(trained.status, 0, trained.output + trained.errors)
        return teacher.appendingPathComponent("best.safetensors")
    }

    /// `pruning.md` and `pruning.json` equal the straight run's (``crashTrials``' `straight` beside the
    /// trial's folder), the folders' own paths aside.
    private static func samePruningReport(_ run: URL, _ killedOutput: String, _ resumed: String) {
        let reference = run.deletingLastPathComponent().appendingPathComponent("straight")
        func text(_ name: String, in folder: URL) -> String? {
            // The folder's path as written, and as JSON escapes it.
            (try? String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8))?
                .replacingOccurrences(of: folder.path, with: "DIR")
                .replacingOccurrences(of: folder.path.replacingOccurrences(of: "/", with: "\\/"), with: "DIR")
        }
        for name in ["pruning.md", "pruning.json"] {
            let mine = text(name, in: run), theirs = text(name, in: reference)
            XCTAssertNotNil(mine, "\(name) is missing")
            XCTAssertEqual(mine, theirs, "\(name) differs from the straight run's")
        }
    }

    // MARK: Trials

    /// Trials per command: `RETORT_CRASH_TRIALS`, else `count`.
    static func trials(default count: Int) -> Int {
        ProcessInfo.processInfo.environment["RETORT_CRASH_TRIALS"].flatMap(Int.init) ?? count
    }

    static var seed: UInt64 { ProcessInfo.processInfo.environment["RETORT_CRASH_SEED"].flatMap(UInt64.init) ?? 14 }

    /// Where a kill landed, read from the run folder it left.
    enum Moment: String, CaseIterable {
        case beforeSettings = "before config.json", beforeCheckpoint = "before the first checkpoint"
        case insideWrite = "inside a checkpoint write", betweenWrites = "between checkpoint writes", afterEnd = "after the run ended"
    }

    private func folder() -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("retort-crash-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// Runs `arguments` once straight through, then `trials` times killed at a random moment and
    /// resumed, and compares each trial's folder with the straight one. `countsSteps`: read the
    /// steps done from the progress lines and the steps kept from the resume line (one-stage runs).
    /// `check` gets the trial's folder, the killed run's output and the resumed run's output.
    private func crashTrials(_ name: String, _ arguments: [String], trials: Int, countsSteps: Bool = true,
                             check: ((URL, String, String) -> Void)? = nil) throws {
        let root = folder()
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let reference = root.appendingPathComponent("straight")
        let started = Date()
        let firstStepLine = "  step 1/"
        let straight = try RetortProcess.runKilled(arguments + ["--out", reference.path], after: 600,
                                                   log: root.appendingPathComponent("straight.log"), marker: firstStepLine)
        let duration = Date().timeIntervalSince(started)
        XCTAssertEqual(straight.status, 0, straight.output)
        let firstStep = min(straight.markerSeconds ?? 0, duration)
        let startTrials = max(1, trials / 4)
        let expected = try RunFolderSnapshot(reference)
        var random = KillMoments(seed: Self.seed ^ name.utf8.reduce(UInt64(0)) { $0 &* 31 &+ UInt64($1) })
        var moments: [Moment: Int] = [:], lostSteps: [Int] = []
        for trial in 0..<trials {
            let every = [1, 3, nil][trial % 3]
            let inStart = trial < startTrials
            let delay = inStart
                ? firstStep * (Double(trial) + random.next()) / Double(startTrials)
                : (duration - firstStep) * (Double(trial - startTrials) + random.next()) / Double(trials - startTrials)
            let run = root.appendingPathComponent("trial-\(trial)")
            let command = arguments + ["--out", run.path] + (every.map { ["--save-every-steps", "\($0)"] } ?? [])
            let trialName = "\(name) trial \(trial) (RETORT_CRASH_SEED=\(Self.seed)): SIGKILL "
                + String(format: inStart ? "%.3f s after the start" : "%.3f s after the first step", delay)
                + String(format: " (straight run: %.3f s, first step at %.3f s)", duration, firstStep)
                + ", --save-every-steps \(every.map(String.init) ?? "none")"
            let killed = try RetortProcess.runKilled(command, after: delay, log: root.appendingPathComponent("trial-\(trial).log"),
                                                     marker: firstStepLine, fromMarker: !inStart)
            let moment = try Self.moment(of: run, killed: killed.killed)
            moments[moment, default: 0] += 1
            let resumed: RetortProcess.Run
            if moment == .beforeSettings {
                XCTAssertFalse(try Self.hasCheckpoint(run), "\(trialName): a checkpoint without config.json")
                resumed = try RetortProcess.run(command)
            } else {
                resumed = try RetortProcess.run([arguments[0], "--resume", run.path])
            }
            XCTAssertEqual(resumed.status, 0, "\(trialName) (\(moment.rawValue)): the resume failed\n\(resumed.output)\(resumed.errors)")
            if countsSteps, killed.killed {
                let lost = max(0, Self.stepsDone(killed.output, stepsPerEpoch: stepsPerEpoch)
                    - Self.stepsKept(resumed.output, stepsPerEpoch: stepsPerEpoch))
                lostSteps.append(lost)
                XCTAssert((0...(every ?? stepsPerEpoch)).contains(lost),
                          "\(trialName): \(lost) steps lost\n\(killed.output)\n\(resumed.output)")
            }
            check?(run, killed.output, resumed.output)
            let differences = try RunFolderSnapshot(run).differences(from: expected)
            XCTAssert(differences.isEmpty, "\(trialName) (\(moment.rawValue)): not bit-equal to the straight run:\n"
                      + differences.joined(separator: "\n"))
        }
        print("crash trials \(name): \(trials) trials of a \(String(format: "%.2f s run (first step at %.2f s)", duration, firstStep)), "
              + "seed \(Self.seed); moments: "
              + Moment.allCases.map { "\($0.rawValue) \(moments[$0] ?? 0)" }.joined(separator: ", ")
              + (countsSteps ? "; steps lost per killed trial: \(lostSteps)" : ""))
    }

    /// Classifies a kill by what the run folder holds (before any resume touches it).
    static func moment(of run: URL, killed: Bool) throws -> Moment {
        guard killed else { return .afterEnd }
        let files = FileManager.default.subpaths(atPath: run.path) ?? []
        guard files.contains(where: { $0.hasSuffix("config.json") && !$0.contains("/") }) else { return .beforeSettings }
        let names = files.map { ($0 as NSString).lastPathComponent }
        if names.contains(where: { $0 == ".replacing.json" || $0.hasSuffix(".staged") || ($0.hasPrefix(".") && $0.hasSuffix(".tmp")) }) {
            return .insideWrite
        }
        return try hasCheckpoint(run) ? .betweenWrites : .beforeCheckpoint
    }

    static func hasCheckpoint(_ run: URL) throws -> Bool {
        (FileManager.default.subpaths(atPath: run.path) ?? []).contains { $0.hasSuffix("last.safetensors") }
    }

    /// Steps done by a killed run: its last progress line (`epoch E/N  step S/M`).
    static func stepsDone(_ output: String, stepsPerEpoch: Int) -> Int {
        let pattern = /epoch (\d+)\/\d+  step (\d+)\/\d+/
        guard let last = output.matches(of: pattern).last, let epoch = Int(last.1), let step = Int(last.2) else { return 0 }
        return (epoch - 1) * stepsPerEpoch + step
    }

    /// Steps a resumed run kept: its `resuming at epoch E step S` (S is the next step); else every step
    /// when it kept a finished run (prune's `finished fine-tuning found, kept`: the kill came after the
    /// last step, before the command's own end); else none.
    static func stepsKept(_ output: String, stepsPerEpoch: Int) -> Int {
        guard let match = output.firstMatch(of: /resuming at epoch (\d+) step (\d+)/),
              let epoch = Int(match.1), let step = Int(match.2) else {
            return output.contains("finished fine-tuning found, kept") ? .max : 0
        }
        return (epoch - 1) * stepsPerEpoch + step - 1
    }
}

/// Kill moments as fractions of a run's wall time in [0, 1), from a seed (a 64-bit LCG; the same
/// seed gives the same moments).
struct KillMoments {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> Double {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Double(state >> 11) / Double(UInt64(1) << 53)
    }
}

extension CrashConsistencyTests {
    /// `sweep-teachers` building the grid (a teacher per batch size, then a student per kept
    /// checkpoint), killed at a random moment and run again with the same command: finished teachers
    /// and students are reused, a killed one continues from its last checkpoint, and the folder ends
    /// as an uninterrupted grid's — every weights file and metrics line, and `sweep.json` without its
    /// timings and reuse marks — bit for bit.
    func testSweepTeachersGridContinuesAfterAKillAtAnyMoment() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("retort-crash-grid-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let command = ["sweep-teachers", "--teacher", "plane4", "--batch-sizes", "32,64", "--save-every", "1", "--teacher-epochs", "2",
                       "--student", "plane2", "--epochs", "1", "--dataset", "fashion-mnist", "--limit", "128", "--batch-size", "32",
                       "--lr", "0.05", "--seed", "3"]
        let reference = root.appendingPathComponent("straight")
        let started = Date()
        let straight = try RetortProcess.run(command + ["--out", reference.path])
        let duration = Date().timeIntervalSince(started)
        XCTAssertEqual(straight.status, 0, straight.output + straight.errors)
        let expected = try RunFolderSnapshot(reference)
        let expectedReport = try Self.comparableSweep(in: reference)
        var random = KillMoments(seed: Self.seed ^ 0x5EE9)
        let trials = Self.trials(default: 2)
        for trial in 0..<trials {
            let delay = duration * (Double(trial) + random.next()) / Double(trials)
            let run = root.appendingPathComponent("trial-\(trial)")
            let name = "sweep-teachers trial \(trial) (RETORT_CRASH_SEED=\(Self.seed)): SIGKILL "
                + String(format: "%.3f s after the start (straight run: %.3f s)", delay, duration)
            let killed = try RetortProcess.runKilled(command + ["--out", run.path], after: delay,
                                                     log: root.appendingPathComponent("trial-\(trial).log"))
            let stage = killed.output.components(separatedBy: "\n").last { $0.hasPrefix("== ") } ?? "before the first stage"
            let again = try RetortProcess.run(command + ["--out", run.path])
            XCTAssertEqual(again.status, 0, "\(name), in \(stage): the rerun failed\n\(again.output)\(again.errors)")
            let differences = try RunFolderSnapshot(run).differences(from: expected)
            XCTAssert(differences.isEmpty,
                      "\(name), in \(stage): not bit-equal to the straight grid:\n" + differences.joined(separator: "\n"))
            XCTAssertEqual(try Self.comparableSweep(in: run), expectedReport, "\(name), in \(stage): sweep.json differs")
        }
    }

    /// The grid's `sweep.json` as sorted-key JSON without wall times and reuse marks, the folder's path removed.
    static func comparableSweep(in run: URL) throws -> String {
        func strip(_ value: Any) -> Any {
            if let object = value as? [String: Any] {
                return object.filter { !RunFolderSnapshot.timingKeys.contains($0.key) && $0.key != "reused" }.mapValues(strip)
            }
            if let list = value as? [Any] { return list.map(strip) }
            if let text = value as? String { return text.replacingOccurrences(of: run.path, with: "RUN") }
            return value
        }
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("sweep.json")))
        return String(decoding: try JSONSerialization.data(withJSONObject: strip(object), options: [.sortedKeys]), as: UTF8.self)
    }
}
