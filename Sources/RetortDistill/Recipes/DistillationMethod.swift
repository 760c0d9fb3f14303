import Retort

/// A distillation method of `retort distill --loss` or `retort selfdistill --method`: its name, kind,
/// reference defaults (kd-methods §4), options and how it builds a training objective
/// `ce-weight · CE + loss-weight · term`.
///
/// Each method is declared beside its loss (see ``RegisteredMethod``); ``MethodRegistry`` finds it by
/// name. Two methods are equal when their names are.
public struct DistillationMethod: Sendable, Hashable, CustomStringConvertible {
    /// Whether a method reads teachers.
    public enum Kind: Int, Sendable, Comparable {
        /// Cross-entropy alone (no distillation term).
        case plain
        /// Reads one or more frozen teachers (`retort distill --loss`).
        case offline
        /// Learns from the network's own predictions (`retort selfdistill --method`).
        case selfDistillation

        public static func < (lhs: Kind, rhs: Kind) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// What a method builds: the objective and the batch transform it needs.
    public typealias Objective = (objective: any DistillationLoss, mixUp: MixUp?)
    /// Builds the objective from the run's setup and the resolved options.
    public typealias Constructor = @Sendable (DistillationSetup, MethodOptions) throws -> Objective

    /// The option keys every method reads beside its own.
    public static let crossEntropyWeightKey = "ce-weight", lossWeightKey = "loss-weight", temperatureKey = "temperature"

    public let name: String
    public let kind: Kind
    /// Where the method is listed among those of its kind (help, error messages); ties by name.
    public let order: Int
    /// One line for help text.
    public let summary: String
    /// The weight of cross-entropy with the labels, by the method's reference recipe.
    public let defaultCrossEntropyWeight: Double
    /// The weight of the method's own term.
    public let defaultLossWeight: Double
    /// The temperature by the reference recipe.
    public let defaultTemperature: Double
    /// The options the method reads beside `ce-weight`, `loss-weight` and `temperature`.
    public let options: [MethodOption]
    /// Whether the method takes several teachers (otherwise one).
    public let acceptsSeveralTeachers: Bool
    private let constructor: Constructor

    /// Declares a method whose objective the constructor builds whole.
    public init(name: String, kind: Kind, order: Int, summary: String, crossEntropyWeight: Double = 1, lossWeight: Double = 1,
                temperature: Double = 4, options: [MethodOption] = [], acceptsSeveralTeachers: Bool = false,
                objective: @escaping Constructor) {
        self.name = name
        self.kind = kind
        self.order = order
        self.summary = summary
        defaultCrossEntropyWeight = crossEntropyWeight
        defaultLossWeight = lossWeight
        defaultTemperature = temperature
        self.options = options
        self.acceptsSeveralTeachers = acceptsSeveralTeachers
        constructor = objective
    }

    /// Declares a method whose objective is `ce-weight · CE + loss-weight · term`, with `term` from
    /// the constructor.
    public init(name: String, kind: Kind, order: Int, summary: String, crossEntropyWeight: Double = 1, lossWeight: Double = 1,
                temperature: Double = 4, options: [MethodOption] = [], acceptsSeveralTeachers: Bool = false,
                term: @escaping @Sendable (DistillationSetup, MethodOptions) throws -> any DistillationLoss) {
        self.init(name: name, kind: kind, order: order, summary: summary, crossEntropyWeight: crossEntropyWeight, lossWeight: lossWeight,
                  temperature: temperature, options: options, acceptsSeveralTeachers: acceptsSeveralTeachers) { setup, options in
            let term = try term(setup, options)
            return (WeightedLoss([(options.crossEntropyWeight, setup.crossEntropy), (options.lossWeight, term)]), nil)
        }
    }

    /// Parses a method name, or an error listing the known ones.
    public init(name: String, among allowed: [DistillationMethod] = DistillationMethod.allCases) throws {
        guard let method = allowed.first(where: { $0.name == name }) else {
            let names = allowed.map(\.name).joined(separator: ", ")
            throw DistillationError.invalidConfiguration("unknown method '\(name)'; choose one of \(names)")
        }
        self = method
    }

    /// Every registered method, by kind and then as each kind lists them.
    public static var allCases: [DistillationMethod] { MethodRegistry.methods }
    /// Methods that read one or more frozen teachers.
    public static var offline: [DistillationMethod] { allCases.filter { $0.kind == .offline } }
    /// Self-distillation methods (no teacher).
    public static var selfDistillation: [DistillationMethod] { allCases.filter { $0.kind == .selfDistillation } }

    /// The method's name.
    public var rawValue: String { name }
    public var description: String { name }

    /// The option keys (beside `ce-weight`, `loss-weight`, `temperature`) the method reads.
    public var optionKeys: [String] { options.map(\.key) }

    /// The declared option with `key`, if the method reads it.
    public func option(_ key: String) -> MethodOption? { options.first { $0.key == key } }

    /// The options resolved for `setup`: given values, then the method's defaults.
    public func resolvedOptions(_ setup: DistillationSetup) -> MethodOptions {
        MethodOptions(given: setup.options, givenText: setup.textOptions,
                      defaults: [Self.crossEntropyWeightKey: defaultCrossEntropyWeight, Self.lossWeightKey: defaultLossWeight,
                                 Self.temperatureKey: defaultTemperature],
                      declared: options)
    }

    /// The training objective of this method: `ce-weight · CE + loss-weight · term`, with the
    /// method's options (missing ones take the reference defaults), and the batch transform it needs.
    public func makeObjective(_ setup: DistillationSetup) throws -> Objective {
        let resolved = resolvedOptions(setup)
        for option in options {
            if case .choice = option.type, let text = setup.textOptions[option.key] { _ = try option.parse(text) }
        }
        return try constructor(setup, resolved)
    }

    public static func == (lhs: DistillationMethod, rhs: DistillationMethod) -> Bool { lhs.name == rhs.name }
    public func hash(into hasher: inout Hasher) { hasher.combine(name) }
}
