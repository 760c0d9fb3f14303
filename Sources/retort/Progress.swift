import Foundation
import RetortDistill

/// One live line on a terminal (epoch, step, loss, accuracy, images/s, ETA); a plain line every
/// tenth of an epoch otherwise.
final class Progress {
    private let batchSize: Int
    private let terminal = isatty(STDOUT_FILENO) != 0
    private var epochStart = Date()
    private var lastEpoch = -1
    /// The epoch's first step this process ran (a resumed run starts mid-epoch); the rate and ETA
    /// count the steps after it, timed from when it finished.
    private var firstStep = 0

    init(batchSize: Int) { self.batchSize = batchSize }

    func step(_ state: Trainer.StepProgress, epochs: Int) {
        let (epoch, step, steps, loss) = (state.epoch, state.step, state.stepsPerEpoch, state.loss)
        if epoch != lastEpoch { lastEpoch = epoch; epochStart = Date(); firstStep = step }
        var line = String(format: "epoch %d/%d  step %d/%d  loss %.4f  acc %.2f%%", epoch + 1, epochs, step + 1, steps, loss,
                          state.accuracy * 100)
        // The first step has nothing timed before it: no rate yet.
        if step > firstStep {
            let elapsed = Date().timeIntervalSince(epochStart), timed = Double(step - firstStep)
            let remaining = Double(steps - step - 1) * elapsed / timed
            line += String(format: "  %.0f images/s  ETA %d:%02d", timed * Double(batchSize) / max(elapsed, 1e-9),
                           Int(remaining) / 60, Int(remaining) % 60)
        }
        if terminal {
            FileHandle.standardOutput.write(Data(("\r" + line + "\u{1B}[K").utf8))
        } else if (step + 1) % max(1, steps / 10) == 0 || step + 1 == steps {
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        }
    }

    func finishLine() { if terminal { FileHandle.standardOutput.write(Data("\n".utf8)) } }
}
