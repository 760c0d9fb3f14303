import Foundation
import RetortNN

// Train a small CNN on a fixed batch of random images and labels with Retort as the backend.
let context = try Context()                       // the device RETORT_DEVICE picks, or the best one
print("device:", context.device.info.summary)
var random = SplitMix64(seed: 1)
let model = try ModelZoo.make("plane2", inputChannels: 1, inputSize: 28, classes: 10, context: context, seed: 1)
let optimizer = try SGDOptimizer(parameters: model.parameters(),
                                 options: .init(learningRate: 0.05, momentum: 0.9, weightDecay: 5e-4), context: context)
let schedule = try CosineAnnealingSchedule(baseLearningRate: 0.05, annealingEpochs: 30)

let images = try Tensor(random.floats(32 * 28 * 28), shape: [32, 1, 28, 28], context: context)
let labels = (0..<32).map { _ in Int.random(in: 0..<10, using: &random) }

model.train()
for epoch in 0..<30 {
    optimizer.learningRate = schedule.learningRate(epoch: epoch)
    try optimizer.zeroGrad()
    let loss = try model(images).crossEntropy(labels: labels)
    try loss.backward()
    try optimizer.step()                          // the whole step was recorded: one submit here
    if epoch % 5 == 0 || epoch == 29 { print("epoch \(epoch)  loss \(try loss.item())") }
}

model.eval()
let logits = try context.noGrad { try model(images) }.toArray()
let correct = labels.indices.filter { row in
    let scores = logits[row * 10..<(row + 1) * 10]
    return scores.firstIndex(of: scores.max()!)! - row * 10 == labels[row]
}.count
print("memorised \(correct)/32 random labels")
guard correct >= 30 else { fatalError("training did not fit the batch") }
try model.stateDict().write(to: URL(fileURLWithPath: "plane2.safetensors"))   // PyTorch state_dict names
