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
    public var calibrationError: Double
    /// [N, classes] row-major, when asked for.
    public var logits: [Float]
    public var labels: [Int]

    /// Runs `model` in evaluation mode (no tape) over every batch of `source`.
    public static func run(_ model: any Classifier, on source: any BatchSource, keepLogits: Bool = false) throws -> Evaluation {
        let context = model.parameters()[0].context
        model.eval()
        var lossSum = 0.0, top1 = 0, top5 = 0
        var result = Evaluation(loss: 0, top1: 0, top5: 0, calibrationError: 0, logits: [], labels: [])
        var all: [Float] = []
        for batch in try source.epochBatches(0) {
            let (loss, logits) = try context.noGrad { () throws -> (Float, [Float]) in
                let logits = try model(Tensor(batch.images, shape: batch.shape, context: context))
                return (try logits.crossEntropy(labels: batch.labels).item(), try logits.toArray())
            }
            lossSum += Double(loss) * Double(batch.labels.count)
            top1 += try Trainer.topK(logits, labels: batch.labels, k: 1)
            top5 += try Trainer.topK(logits, labels: batch.labels, k: 5)
            result.labels += batch.labels
            all += logits
        }
        let count = Double(max(result.labels.count, 1))
        result.loss = lossSum / count
        result.top1 = Double(top1) / count
        result.top5 = Double(top5) / count
        result.calibrationError = expectedCalibrationError(logits: all, labels: result.labels)
        if keepLogits { result.logits = all }
        return result
    }
}
