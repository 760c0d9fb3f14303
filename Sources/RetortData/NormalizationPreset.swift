import Foundation

/// The per-channel input normalization of a reference codebase, by name: a teacher brought from one
/// of them must see the inputs it was trained on.
public enum NormalizationPreset: String, CaseIterable, Sendable {
    /// RepDistiller (HobbitLong/RepDistiller `dataset/cifar100.py`): CIFAR-100 only.
    case repdistiller
    /// mdistiller (megvii-research/mdistiller `dataset/cifar100.py`): RepDistiller's constants.
    case mdistiller
    /// torchdistill's sample configs: CIFAR-10 and CIFAR-100 at full precision.
    case torchdistill
    /// TAKD (`data_loader.py`): the CIFAR-100 statistics to three digits, for CIFAR-10 as well.
    case takd
    /// PrUE (`data.py`): CIFAR-10 with its variant std.
    case prue
    /// The training split's own statistics (``Normalization/datasetStatistics(for:)``), every dataset;
    /// a folder's are measured from its files (``Dataset/measuredNormalization(samples:seed:)``).
    case dataset
    /// ImageNet's statistics (``Normalization/imageNet``), which torchvision's pretrained models expect:
    /// the RGB datasets.
    case imagenet

    /// The codebase's mean and std for `kind`, or nil when it defines none for that dataset.
    public func normalization(for kind: DatasetKind) -> Normalization? {
        switch (self, kind) {
        case (.dataset, _):
            return .datasetStatistics(for: kind)
        case (.repdistiller, .cifar100), (.mdistiller, .cifar100):
            return Normalization(mean: [0.5071, 0.4867, 0.4408], std: [0.2675, 0.2565, 0.2761])
        case (.torchdistill, .cifar100):
            return Normalization(mean: [0.5070754, 0.48655024, 0.44091907], std: [0.26733398, 0.25643876, 0.2761503])
        case (.torchdistill, .cifar10):
            return Normalization(mean: [0.49139968, 0.48215841, 0.44653091], std: [0.24703223, 0.24348513, 0.26158784])
        case (.takd, .cifar10), (.takd, .cifar100):
            return Normalization(mean: [0.507, 0.487, 0.441], std: [0.267, 0.256, 0.276])
        case (.imagenet, .cifar10), (.imagenet, .cifar100), (.imagenet, .folder):
            return .imageNet
        case (.prue, .cifar10):
            return Normalization(mean: [0.4914, 0.4822, 0.4465], std: [0.2023, 0.1994, 0.2010])
        default:
            return nil
        }
    }

    /// The datasets the preset defines constants for.
    public var datasets: [DatasetKind] { DatasetKind.allCases.filter { normalization(for: $0) != nil } }
}

extension Normalization {
    /// The checkpoint metadata keys of a normalization: comma-separated per-channel values.
    public static let meanKey = "normalization_mean", stdKey = "normalization_std"
    /// The checkpoint metadata key of the class names a dataset gives (a folder's), one per line.
    public static let classesKey = "classes"

    /// The normalization as checkpoint metadata (``meanKey``, ``stdKey``).
    public var metadata: [String: String] {
        [Self.meanKey: mean.map { "\($0)" }.joined(separator: ","), Self.stdKey: std.map { "\($0)" }.joined(separator: ",")]
    }

    /// The normalization checkpoint metadata records, or nil when it records none (or a malformed one).
    public init?(metadata: [String: String]) {
        func values(_ key: String) -> [Float]? {
            guard let text = metadata[key] else { return nil }
            let items = text.split(separator: ",")
            let values = items.compactMap { Float($0.trimmingCharacters(in: .whitespaces)) }
            return values.count == items.count && !values.isEmpty ? values : nil
        }
        guard let mean = values(Self.meanKey), let std = values(Self.stdKey), mean.count == std.count,
              mean.allSatisfy(\.isFinite), std.allSatisfy({ $0.isFinite && $0 != 0 }) else { return nil }
        self.init(mean: mean, std: std)
    }

    /// `mean / std` as text with four decimals, for messages: `(0.5071, 0.4867, 0.4408) / (0.2675, 0.2565, 0.2761)`.
    public var summary: String {
        func list(_ values: [Float]) -> String { "(" + values.map { String(format: "%.4f", $0) }.joined(separator: ", ") + ")" }
        return list(mean) + " / " + list(std)
    }
}
