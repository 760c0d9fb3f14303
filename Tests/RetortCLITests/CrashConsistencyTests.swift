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

    func testDistillResumesAfterAKillAtAnyMoment() throws {
        let teacher = folder().appendingPathComponent("teacher")
        let trained = try RetortProcess.run(["train", "--model", "plane2", "--epochs", "1", "--out", teacher.path] + data)
        XCTAssertEqual(trained.status, 0, trained.output + trained.errors)
        try crashTrials("distill", ["distill", "--student", "plane2", "--teacher", "plane2", "--teacher-weights",
                                    teacher.appendingPathComponent("best.safetensors").path, "--loss", "kd", "--epochs", "2"] + data,
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
        var random = KillMoments(seed: Self.seed ^ UInt64(name.utf8.reduce(0) { $0 &* 31 &+ Int($1) }))
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
                let lost = Self.stepsDone(killed.output, stepsPerEpoch: stepsPerEpoch)
                    - Self.stepsKept(resumed.output, stepsPerEpoch: stepsPerEpoch)
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

    /// Steps a resumed run kept: its `resuming at epoch E step S` (S is the next step), else none.
    static func stepsKept(_ output: String, stepsPerEpoch: Int) -> Int {
        guard let match = output.firstMatch(of: /resuming at epoch (\d+) step (\d+)/),
              let epoch = Int(match.1), let step = Int(match.2) else { return 0 }
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
