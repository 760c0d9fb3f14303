import Retort

/// The distillation methods of `retort distill --loss` and `retort selfdistill --method`, with the
/// reference defaults of each (kd-methods §4), built into a training objective.
public enum DistillationMethod: String, CaseIterable, Sendable {
    case crossEntropy = "ce"
    case kd, dkd, nkd, dist, sp, crd, camkd, mixkd
    case bake, zipf, tfnkd
    case labelSmoothing = "ls"

    /// Methods that read one or more frozen teachers.
    public static let offline: [DistillationMethod] = [.kd, .dkd, .nkd, .dist, .sp, .crd, .camkd, .mixkd]
    /// Self-distillation methods (no teacher).
    public static let selfDistillation: [DistillationMethod] = [.bake, .zipf, .tfnkd, .labelSmoothing]

    /// Parses a method name, or an error listing the known ones.
    public init(name: String, among allowed: [DistillationMethod] = DistillationMethod.allCases) throws {
        guard let method = DistillationMethod(rawValue: name), allowed.contains(method) else {
            throw DistillationError.invalidConfiguration("unknown method '\(name)'; choose one of \(allowed.map(\.rawValue).joined(separator: ", "))")
        }
        self = method
    }

    /// The weight of cross-entropy with the labels, by the method's reference recipe.
    public var defaultCrossEntropyWeight: Double {
        switch self {
        case .kd, .mixkd: return 0.1      // RepDistiller/mdistiller -r 0.1; MIX-KD γ 0.1
        default: return 1
        }
    }

    /// The weight of the method's own term.
    public var defaultLossWeight: Double {
        switch self {
        case .kd, .mixkd: return 0.9      // -a 0.9
        case .dist: return 2              // DIST kd_loss_weight 2 (CIFAR)
        case .sp: return 3000             // RepDistiller -b 3000
        case .crd: return 0.8             // -b 0.8
        case .zipf: return 0.1            // Zipf LS λ 0.1 (CIFAR)
        case .labelSmoothing, .crossEntropy: return 0
        default: return 1
        }
    }

    /// The temperature by the reference recipe.
    public var defaultTemperature: Double {
        switch self {
        case .nkd: return 1
        case .crd: return 0.07
        default: return 4
        }
    }

    /// The option keys (beside `ce-weight`, `loss-weight`, `temperature`) the method reads.
    public var optionKeys: [String] {
        switch self {
        case .kd: return ["kd-reduction", "kd-t2"]
        case .dkd: return ["dkd-alpha", "dkd-beta", "dkd-warmup"]
        case .nkd: return ["nkd-gamma"]
        case .dist: return ["dist-beta", "dist-gamma"]
        case .crd: return ["crd-dim", "crd-negatives", "crd-momentum"]
        case .mixkd: return ["mixup-alpha", "mixup-unmixed"]
        case .bake: return ["bake-omega"]
        case .zipf: return ["zipf-power"]
        case .labelSmoothing: return ["label-smoothing"]
        default: return []
        }
    }
}

/// What building an objective needs to know about the run.
public struct DistillationSetup {
    /// Options by key (`ce-weight`, `loss-weight`, `temperature`, and the method's `optionKeys`);
    /// missing keys take the method's defaults.
    public var options: [String: Double]
    /// Text options (`kd-reduction`).
    public var textOptions: [String: String]
    public var classes: Int
    /// The labels of the whole training set in index order (CRD samples negatives from them).
    public var trainingLabels: [Int]
    /// Width of the student's and each teacher's pooled feature vector (CRD's heads).
    public var studentFeatures: Int
    public var teacherFeatures: [Int]
    public var labelSmoothing: Double
    public var seed: UInt64
    public var context: Context

    public init(options: [String: Double] = [:], textOptions: [String: String] = [:], classes: Int, trainingLabels: [Int] = [],
                studentFeatures: Int = 0, teacherFeatures: [Int] = [], labelSmoothing: Double = 0, seed: UInt64 = 0, context: Context) {
        self.options = options
        self.textOptions = textOptions
        self.classes = classes
        self.trainingLabels = trainingLabels
        self.studentFeatures = studentFeatures
        self.teacherFeatures = teacherFeatures
        self.labelSmoothing = labelSmoothing
        self.seed = seed
        self.context = context
    }
}
