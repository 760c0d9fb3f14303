import Foundation
import RetortDistill

/// `retort train`, `retort distill` and `retort selfdistill`: training of a zoo model on a dataset,
/// with a run folder.
enum TrainCommand {
    /// Writes a line straight to stdout, so it stays in order with the progress line.
    static func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

    static func run(_ arguments: Arguments, command: TrainConfiguration.Command) throws {
        var runDirectory: URL?
        var file: [String: Any]?
        if let resume = arguments.options["resume"] {
            runDirectory = URL(fileURLWithPath: resume)
            file = try readJSON(runDirectory!.appendingPathComponent("config.json"))
        } else if let path = arguments.options["config"] {
            file = try readJSON(URL(fileURLWithPath: path))
        }
        let configuration = try TrainConfiguration.resolve(command, file: file, flags: arguments.options, switches: arguments.flags)
        let run = runDirectory ?? URL(fileURLWithPath: configuration.out ?? "runs/\(configuration.defaultRunName)")
        let context = try Context()
        say("device: \(context.device.info.summary)")
        var job = TrainingJob(configuration: configuration, run: run)
        job.resumes = runDirectory != nil
        try job.execute(context: context)
    }

    static func makeSchedule(_ configuration: TrainConfiguration) throws -> any LearningRateSchedule {
        var options: [String: String] = [:]
        switch configuration.schedule {
        case "multistep":
            guard !configuration.milestones.isEmpty else { throw CLIError.usage("schedule multistep needs --milestones, e.g. 150,180,210") }
            options = ["milestones": configuration.milestones.map(String.init).joined(separator: ","), "gamma": "\(configuration.gamma)"]
        case "step": options = ["step-size": "\(configuration.stepSize)", "gamma": "\(configuration.gamma)"]
        default: break
        }
        if configuration.warmupEpochs > 0 { options["warmup-epochs"] = "\(configuration.warmupEpochs)" }
        return try LearningRateScheduleConfiguration(schedule: configuration.schedule, options: options)
            .makeSchedule(baseLearningRate: configuration.learningRate, epochs: configuration.epochs)
    }

    static func readJSON(_ url: URL) throws -> [String: Any] {
        guard let data = try? Data(contentsOf: url) else { throw CLIError.failed("cannot read \(url.path)") }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw CLIError.failed("\(url.path) is not a JSON object of settings")
        }
        return object
    }
}

/// Set by Ctrl-C: the trainer finishes its step, saves `last` and stops.
///
/// Why `@unchecked Sendable` is safe: the signal handler runs on a global dispatch queue while the
/// trainer polls ``isSet`` on its own thread, so the flag is guarded by `lock`; `source` is immutable
/// after `init`.
final class InterruptFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var set = false
    private let source: DispatchSourceSignal

    init() {
        signal(SIGINT, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler { [unowned self] in self.lock.withLock { self.set = true } }
        source.resume()
    }

    deinit { source.cancel() }

    var isSet: Bool { lock.withLock { set } }
}

/// One live line on a terminal (epoch, step, loss, accuracy, images/s, ETA); a plain line every
/// tenth of an epoch otherwise.
final class Progress {
    private let batchSize: Int
    private let terminal = isatty(STDOUT_FILENO) != 0
    private var epochStart = Date()
    private var lastEpoch = -1

    init(batchSize: Int) { self.batchSize = batchSize }

    func step(_ state: Trainer.StepProgress, epochs: Int) {
        let (epoch, step, steps, loss) = (state.epoch, state.step, state.stepsPerEpoch, state.loss)
        if epoch != lastEpoch { lastEpoch = epoch; epochStart = Date() }
        let elapsed = Date().timeIntervalSince(epochStart)
        let rate = Double((step + 1) * batchSize) / max(elapsed, 1e-9)
        let remaining = Double(steps - step - 1) * elapsed / Double(step + 1)
        let line = String(format: "epoch %d/%d  step %d/%d  loss %.4f  acc %.2f%%  %.0f images/s  ETA %d:%02d", epoch + 1, epochs,
                          step + 1, steps, loss, state.accuracy * 100, rate, Int(remaining) / 60, Int(remaining) % 60)
        if terminal {
            FileHandle.standardOutput.write(Data(("\r" + line + "\u{1B}[K").utf8))
        } else if (step + 1) % max(1, steps / 10) == 0 || step + 1 == steps {
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        }
    }

    func finishLine() { if terminal { FileHandle.standardOutput.write(Data("\n".utf8)) } }
}
