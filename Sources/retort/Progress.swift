import Foundation
import RetortDistill

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
