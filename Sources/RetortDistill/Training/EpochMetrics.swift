/// What one epoch measured: one line of `metrics.jsonl`.
public struct EpochMetrics: Codable, Equatable, Sendable {
    public var epoch: Int
    public var learningRate: Double
    public var trainLoss: Double
    public var trainAccuracy: Double
    public var testLoss: Double
    public var testTop1: Double
    public var testTop5: Double
    public var seconds: Double
    public var imagesPerSecond: Double
    /// Expected calibration error (15 bins) on the test split.
    public var testCalibrationError: Double?
    /// With teachers: top-1 agreement and predictive KL(teacher ‖ student) at T = 1 on the test split.
    public var agreement: Double?
    public var predictiveKL: Double?

    enum CodingKeys: String, CodingKey {
        case epoch, seconds, agreement
        case testCalibrationError = "test_ece", predictiveKL = "predictive_kl"
        case learningRate = "lr", trainLoss = "train_loss", trainAccuracy = "train_acc", testLoss = "test_loss"
        case testTop1 = "test_top1", testTop5 = "test_top5", imagesPerSecond = "images_per_s"
    }
}

/// Why training stopped before its last epoch.
public enum TrainingError: Error, Equatable, CustomStringConvertible {
    case nonFiniteLoss(epoch: Int, step: Int, value: Float)
    /// A training batch held NaN or ±inf (`image`: its position in the batch); the step did not run.
    case nonFiniteInput(epoch: Int, step: Int, image: Int, value: Float)
    case invalidRunDirectory(String)
    case collapsed(epoch: Int, trainAccuracy: Double, testAccuracy: Double, classes: Int)
    /// ``collapsed(epoch:trainAccuracy:testAccuracy:classes:)`` of one network of an online run.
    case networkCollapsed(network: String, epoch: Int, trainAccuracy: Double, testAccuracy: Double, classes: Int)
    /// A loss that couples the samples of a batch (a Gram matrix, a correlation, mixed pairs, a memory
    /// bank) under several data-parallel ranks, where each rank would see only its rows.
    case batchCoupled(loss: String, ranks: Int)
    /// A batch with fewer rows than ranks under synchronized batch norm: a rank without rows cannot
    /// join the batch norms' all-reduces.
    case batchSmallerThanRanks(epoch: Int, step: Int, rows: Int, ranks: Int)

    public var description: String {
        switch self {
        case .nonFiniteLoss(let epoch, let step, let value):
            return "The loss became \(value) at epoch \(epoch + 1), step \(step + 1): training stopped. The last good checkpoint is kept; lower the learning rate or check the data."
        case .nonFiniteInput(let epoch, let step, let image, let value):
            return "The training batch of epoch \(epoch + 1), step \(step + 1) holds \(value) (image \(image + 1) of the batch): training "
                + "stopped before that step. The last good checkpoint is kept; check the data and its normalization (a zero std?)."
        case .invalidRunDirectory(let message):
            return message
        case .collapsed(let epoch, let train, let test, let classes):
            return Self.collapse(network: nil, epoch: epoch, train: train, test: test, classes: classes)
        case .networkCollapsed(let network, let epoch, let train, let test, let classes):
            return Self.collapse(network: network, epoch: epoch, train: train, test: test, classes: classes)
        case .batchCoupled(let loss, let ranks):
            return "The \(loss) loss couples the samples of a batch, and split \(ranks) ways (data-parallel ranks or ghost batches) "
                + "each part sees only its share of the batch, so it would not compute the single-process loss. Run it in one "
                + "process without --ghost-batches (without mpirun, or mpirun -np 1), or choose a per-sample loss "
                + "(kd, dkd, nkd, camkd; selfdistill's ls)."
        case .batchSmallerThanRanks(let epoch, let step, let rows, let ranks):
            return "The batch of epoch \(epoch + 1), step \(step + 1) holds \(rows) images, fewer than the \(ranks) data-parallel ranks, "
                + "and with synchronized batch norm (--sync-bn) every rank needs a row. Change the dataset size (--limit) or the "
                + "batch size so that the last batch holds at least \(ranks) images, or train without --sync-bn."
        }
    }

    private static func collapse(network: String?, epoch: Int, train: Double, test: Double, classes: Int) -> String {
        String(format: "Training collapsed: %@epochs %d and %d ended at chance accuracy for %d classes (%.2f%% training, %.2f%% test "
               + "in the last; the network predicts one class). Training stopped; the checkpoints are kept. The loss's gradients "
               + "were too large early on: lower the learning rate, or ramp the distillation term up over more epochs "
               + "(DKD: --dkd-warmup).", network.map { "network \($0): " } ?? "", epoch, epoch + 1, classes, train * 100, test * 100)
    }
}
