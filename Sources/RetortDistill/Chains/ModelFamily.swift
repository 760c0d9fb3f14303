/// A family of zoo models that differ only in depth or width, so that any two of them can be
/// bridged by a member of intermediate size (TAKD's teacher assistants).
public enum ModelFamily: String, CaseIterable, Sendable {
    /// TAKD's plain CNNs (`plane2` … `plane10`).
    case plain = "plain CNN"
    /// The CIFAR ResNets with 16-32-64 filters (`resnet8` … `resnet110`).
    case resnet = "CIFAR ResNet"
    /// The wide ResNets of RepDistiller's CIFAR benchmarks.
    case wideResNet = "wide ResNet"

    /// The members, by zoo name.
    public var members: [String] {
        switch self {
        case .plain: return ["plane2", "plane4", "plane6", "plane8", "plane10"]
        case .resnet: return ["resnet8", "resnet14", "resnet20", "resnet32", "resnet44", "resnet56", "resnet110"]
        case .wideResNet: return ["wrn_16_1", "wrn_16_2", "wrn_40_1", "wrn_40_2"]
        }
    }

    /// The family of a zoo model, or nil when it belongs to none.
    public static func of(_ model: String) -> ModelFamily? {
        allCases.first { $0.members.contains(model) }
    }
}
