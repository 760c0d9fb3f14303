import Foundation

/// A learning-rate schedule as a configuration names it, before the base rate and run length are
/// known: from command-line options (`--lr-schedule multistep --milestones 150,180,210
/// --warmup-epochs 5`) or a JSON configuration (`{"schedule": "cosine", "eta-min": 1e-6}`).
/// Both use the same option names:
///
/// | option | schedules | meaning (PyTorch name) | default |
/// |---|---|---|---|
/// | `milestones` | multistep | epochs where the rate drops, `150,180,210` (`milestones`) | required |
/// | `step-size` | step | epochs between drops (`step_size`) | required |
/// | `gamma` | multistep, step | factor at each drop (`gamma`) | 0.1 |
/// | `t-max` | cosine | epochs of the half cosine (`T_max`) | run epochs − warm-up epochs |
/// | `eta-min` | cosine | final rate (`eta_min`) | 0 |
/// | `cosine-per-step` | cosine | anneal every iteration instead of every epoch | false |
/// | `warmup-epochs` | all | linear warm-up length; the schedule starts after it | 0 |
/// | `warmup-start-factor` | all | first warm-up rate / base rate (`LinearLR`'s `start_factor`) | 1/3 |
/// | `warmup-per-step` | all | ramp every iteration instead of every epoch | true |
public struct LearningRateScheduleConfiguration: Codable, Equatable, Sendable {
    /// The schedule families.
    public enum Kind: String, Codable, CaseIterable, Sendable {
        case constant, multistep, step, cosine
    }

    public var kind: Kind
    public var milestones: [Int]?
    public var stepSize: Int?
    public var gamma: Double
    /// Cosine `T_max` in epochs; nil means "the rest of the run after the warm-up".
    public var annealingEpochs: Int?
    public var minimumLearningRate: Double
    public var cosinePerStep: Bool
    public var warmupEpochs: Int
    public var warmupStartFactor: Double
    public var warmupPerStep: Bool

    public init(kind: Kind, milestones: [Int]? = nil, stepSize: Int? = nil, gamma: Double = 0.1,
                annealingEpochs: Int? = nil, minimumLearningRate: Double = 0, cosinePerStep: Bool = false,
                warmupEpochs: Int = 0, warmupStartFactor: Double = LinearWarmupSchedule.defaultStartFactor,
                warmupPerStep: Bool = true) {
        self.kind = kind
        self.milestones = milestones
        self.stepSize = stepSize
        self.gamma = gamma
        self.annealingEpochs = annealingEpochs
        self.minimumLearningRate = minimumLearningRate
        self.cosinePerStep = cosinePerStep
        self.warmupEpochs = warmupEpochs
        self.warmupStartFactor = warmupStartFactor
        self.warmupPerStep = warmupPerStep
    }

    // MARK: Options

    /// Every option name, as the command line and JSON spell it.
    public static let optionNames: Set<String> = [
        "milestones", "step-size", "gamma", "t-max", "eta-min", "cosine-per-step",
        "warmup-epochs", "warmup-start-factor", "warmup-per-step",
    ]

    /// The options `kind` uses.
    public static func optionNames(for kind: Kind) -> Set<String> {
        let warmup: Set<String> = ["warmup-epochs", "warmup-start-factor", "warmup-per-step"]
        switch kind {
        case .constant: return warmup
        case .multistep: return warmup.union(["milestones", "gamma"])
        case .step: return warmup.union(["step-size", "gamma"])
        case .cosine: return warmup.union(["t-max", "eta-min", "cosine-per-step"])
        }
    }

    /// Parses a schedule name and its options as text (`["milestones": "150,180,210"]`). Unknown
    /// options, options the schedule does not use, missing required ones and malformed values
    /// are errors that name the option.
    public init(schedule name: String, options: [String: String] = [:]) throws(LearningRateScheduleError) {
        guard let kind = Kind(rawValue: name.lowercased()) else { throw .unknownSchedule(name) }
        for option in options.keys.sorted() {
            guard Self.optionNames.contains(option) else { throw .unknownOption(option) }
            guard Self.optionNames(for: kind).contains(option) else {
                throw .inapplicableOption(schedule: kind.rawValue, option: option)
            }
        }
        self.init(kind: kind)
        if let text = options["milestones"] { milestones = try Self.integerList(text, option: "milestones") }
        if let text = options["step-size"] { stepSize = try Self.integer(text, option: "step-size") }
        if let text = options["gamma"] { gamma = try Self.number(text, option: "gamma") }
        if let text = options["t-max"] { annealingEpochs = try Self.integer(text, option: "t-max") }
        if let text = options["eta-min"] { minimumLearningRate = try Self.number(text, option: "eta-min") }
        if let text = options["cosine-per-step"] { cosinePerStep = try Self.boolean(text, option: "cosine-per-step") }
        if let text = options["warmup-epochs"] { warmupEpochs = try Self.integer(text, option: "warmup-epochs") }
        if let text = options["warmup-start-factor"] { warmupStartFactor = try Self.number(text, option: "warmup-start-factor") }
        if let text = options["warmup-per-step"] { warmupPerStep = try Self.boolean(text, option: "warmup-per-step") }
        try checkRequiredOptions()
    }

    private func checkRequiredOptions() throws(LearningRateScheduleError) {
        if kind == .multistep, milestones == nil { throw .missingOption(schedule: kind.rawValue, option: "milestones") }
        if kind == .step, stepSize == nil { throw .missingOption(schedule: kind.rawValue, option: "step-size") }
    }

    private static func integer(_ text: String, option: String) throws(LearningRateScheduleError) -> Int {
        guard let value = Int(text.trimmingSpaces) else {
            throw .invalidOption(option: option, value: text, expected: "an integer")
        }
        return value
    }

    private static func integerList(_ text: String, option: String) throws(LearningRateScheduleError) -> [Int] {
        var body = Substring(text.trimmingSpaces)
        if body.hasPrefix("["), body.hasSuffix("]") { body = body.dropFirst().dropLast() }
        let parts = body.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingSpaces }
        let values = parts.compactMap { Int($0) }
        guard !parts.isEmpty, values.count == parts.count else {
            throw .invalidOption(option: option, value: text, expected: "integers separated by commas, e.g. 150,180,210")
        }
        return values
    }

    private static func number(_ text: String, option: String) throws(LearningRateScheduleError) -> Double {
        guard let value = Double(text.trimmingSpaces), value.isFinite else {
            throw .invalidOption(option: option, value: text, expected: "a finite number")
        }
        return value
    }

    private static func boolean(_ text: String, option: String) throws(LearningRateScheduleError) -> Bool {
        switch text.trimmingSpaces.lowercased() {
        case "true", "yes", "1": return true
        case "false", "no", "0": return false
        default: throw .invalidOption(option: option, value: text, expected: "true or false")
        }
    }

    // MARK: Building

    /// The schedule for a run of `epochs` epochs starting from `baseLearningRate`.
    public func makeSchedule(baseLearningRate: Double, epochs: Int) throws(LearningRateScheduleError) -> any LearningRateSchedule {
        try checkRequiredOptions()
        guard warmupEpochs >= 0 else {
            throw .invalidOption(option: "warmup-epochs", value: "\(warmupEpochs)", expected: "a non-negative number of epochs")
        }
        let main: any LearningRateSchedule
        switch kind {
        case .constant:
            main = try ConstantSchedule(learningRate: baseLearningRate)
        case .multistep:
            main = try MultiStepSchedule(baseLearningRate: baseLearningRate, milestones: milestones ?? [], gamma: gamma)
        case .step:
            main = try StepSchedule(baseLearningRate: baseLearningRate, stepSize: stepSize ?? 0, gamma: gamma)
        case .cosine:
            let length = annealingEpochs ?? epochs - warmupEpochs
            guard annealingEpochs != nil || length > 0 else {
                throw .invalidOption(option: "warmup-epochs", value: "\(warmupEpochs)",
                                     expected: "fewer than the \(epochs) epochs of the run when 't-max' is not given")
            }
            main = try CosineAnnealingSchedule(baseLearningRate: baseLearningRate, annealingEpochs: length,
                                               minimumLearningRate: minimumLearningRate, perStep: cosinePerStep)
        }
        guard warmupEpochs > 0 else { return main }
        return try LinearWarmupSchedule(wrapping: main, epochs: warmupEpochs, startFactor: warmupStartFactor,
                                        perStep: warmupPerStep)
    }

    // MARK: Codable

    private enum CodingKeys: String, CodingKey {
        case kind = "schedule"
        case milestones
        case stepSize = "step-size"
        case gamma
        case annealingEpochs = "t-max"
        case minimumLearningRate = "eta-min"
        case cosinePerStep = "cosine-per-step"
        case warmupEpochs = "warmup-epochs"
        case warmupStartFactor = "warmup-start-factor"
        case warmupPerStep = "warmup-per-step"
    }

    /// Decodes the JSON form; absent options take their defaults.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let name = try container.decode(String.self, forKey: .kind)
        guard let kind = Kind(rawValue: name.lowercased()) else {
            throw DecodingError.dataCorruptedError(forKey: .kind, in: container,
                                                   debugDescription: LearningRateScheduleError.unknownSchedule(name).description)
        }
        self.init(kind: kind)
        milestones = try container.decodeIfPresent([Int].self, forKey: .milestones)
        stepSize = try container.decodeIfPresent(Int.self, forKey: .stepSize)
        gamma = try container.decodeIfPresent(Double.self, forKey: .gamma) ?? gamma
        annealingEpochs = try container.decodeIfPresent(Int.self, forKey: .annealingEpochs)
        minimumLearningRate = try container.decodeIfPresent(Double.self, forKey: .minimumLearningRate) ?? minimumLearningRate
        cosinePerStep = try container.decodeIfPresent(Bool.self, forKey: .cosinePerStep) ?? cosinePerStep
        warmupEpochs = try container.decodeIfPresent(Int.self, forKey: .warmupEpochs) ?? warmupEpochs
        warmupStartFactor = try container.decodeIfPresent(Double.self, forKey: .warmupStartFactor) ?? warmupStartFactor
        warmupPerStep = try container.decodeIfPresent(Bool.self, forKey: .warmupPerStep) ?? warmupPerStep
    }
}

private extension String {
    var trimmingSpaces: String { trimmingCharacters(in: .whitespaces) }
}
