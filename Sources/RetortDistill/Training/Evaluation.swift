import RetortCompute
import RetortData
import RetortNN

/// A classifier's loss (NLL), accuracy and calibration on a dataset, in evaluation mode, optionally
/// keeping the logits.
public struct Evaluation {
    /// Mean negative log-likelihood of the labels.
    public var loss: Double
    public var top1: Double
    public var top5: Double
    /// Expected calibration error over 15 confidence bins.
    public var calibrationError: Double { reliability.expectedCalibrationError }
    /// The predictions by confidence (15 bins): the reliability diagram.
    public var reliability = ReliabilityBins(logits: [], labels: [])
    /// True class against predicted class.
    public var confusion = ConfusionMatrix(logits: [], labels: [], classes: 0)
    /// [N, classes] row-major, when asked for.
    public var logits: [Float]
    public var labels: [Int]

    /// Runs `model` in evaluation mode (no tape) over every batch of `source`. With `dataParallel`,
    /// each rank runs its share of the batches (whole batches, no padding) and every rank receives
    /// all of them in order, so the result equals the single-process one exactly. `precision` runs the
    /// model's matrix ops in fp16/bf16 (``Context/autocast(_:_:)``); the loss is computed in fp32.
    public static func run(_ model: any Classifier, on source: any BatchSource, keepLogits: Bool = false,
                           dataParallel: DataParallel? = nil, precision: Precision = .float32) throws -> Evaluation {
        let context = model.parameters()[0].context
        model.eval()
        let mine = dataParallel.map { $0.group.shard(of: source.batchesPerEpoch) } ?? 0..<Int.max
        // Per batch: its number, loss, labels and logits, flattened as floats for the gather
        // (labels and numbers are exact in Float below 2²⁴).
        var parts: [Float] = []
        for (number, batch) in try source.epochBatches(0).enumerated() where mine.contains(number) {
            let (loss, logits) = try context.noGrad { () throws -> (Float, [Float]) in
                let input = try Tensor(batch.images, shape: batch.shape, context: context)
                let logits = try context.autocast(precision) { try model(input) }.float32()
                return (try logits.crossEntropy(labels: batch.labels).item(), try logits.toArray())
            }
            parts += [Float(number), Float(batch.count), Float(logits.count), loss]
            parts += batch.labels.map(Float.init)
            parts += logits
        }
        if let dataParallel { parts = try dataParallel.allGather(parts) }
        var lossSum = 0.0, top1 = 0, top5 = 0
        var result = Evaluation(loss: 0, top1: 0, top5: 0, logits: [], labels: [])
        var all: [Float] = []
        var offset = 0
        while offset < parts.count {
            let count = Int(parts[offset + 1]), logitCount = Int(parts[offset + 2]), loss = parts[offset + 3]
            let labels = parts[offset + 4..<offset + 4 + count].map { Int($0) }
            let logits = Array(parts[offset + 4 + count..<offset + 4 + count + logitCount])
            offset += 4 + count + logitCount
            lossSum += Double(loss) * Double(count)
            top1 += try Trainer.topK(logits, labels: labels, k: 1)
            top5 += try Trainer.topK(logits, labels: labels, k: 5)
            result.labels += labels
            all += logits
        }
        let count = Double(max(result.labels.count, 1))
        result.loss = lossSum / count
        result.top1 = Double(top1) / count
        result.top5 = Double(top5) / count
        result.reliability = ReliabilityBins(logits: all, labels: result.labels)
        result.confusion = ConfusionMatrix(logits: all, labels: result.labels, classes: result.labels.isEmpty ? 0 : all.count / result.labels.count)
        if keepLogits { result.logits = all }
        return result
    }
}
