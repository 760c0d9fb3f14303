import Foundation
import RetortDistill

/// A distillation term with state of every kind, for the resume and data-parallel tests:
/// cross-entropy plus `s_n · (mean(logits) − b − m)²`, with a trained parameter `b`, a buffer `m`
/// that moves halfway toward `b` after every step, and a step count `n` (`s_n = 0.1 · (1 + n mod 3)`).
/// Its state changes the student's gradients, so a run that lost it would not continue as before.
final class StatefulTestLoss: DistillationLoss {
    /// `b`, `[1]`, trained with the student.
    let offset: Tensor
    /// `m`, `[1]`.
    let memory: Tensor
    /// `n`.
    let steps = IntegerBuffer(0)

    init(offset: Float, context: Context) throws {
        self.offset = try Tensor([offset], shape: [1], context: context, requiresGrad: true)
        memory = try Tensor([0], shape: [1], context: context)
    }

    var name: String { "stateful-test" }
    var teacherCount: ClosedRange<Int> { 0...Int.max }

    var state: (any Module)? {
        LossState(name, [.parameter("offset", offset), .buffer("memory", memory), .integerBuffer("steps", steps)])
    }

    func loss(_ step: DistillationStep) throws -> Tensor {
        let logits = step.student.logits
        let gap = try logits.mean() - offset - memory
        return try logits.crossEntropy(labels: step.labels) + gap.squared().scaled(by: 0.1 * Float(1 + steps.value % 3))
    }

    func update(after step: DistillationStep) throws {
        try memory.assign([0.5 * (try memory.item()) + 0.5 * (try offset.item())])
        steps.value += 1
    }

    /// Every tensor of the state, with its name, as host values.
    func values() throws -> [String: [Float]] {
        let dict = try state!.stateDict()
        return Dictionary(uniqueKeysWithValues: dict.names.map { ($0, dict[$0]!.floats()) })
    }
}
