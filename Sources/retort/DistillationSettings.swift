import RetortDistill

/// A distillation method and its options, as `distill --loss`, `selfdistill --method` and
/// `train --teacher-model` read them. The keys come from the methods' declarations.
struct DistillationSettings: Equatable {
    /// The method's name (`loss` or `method`).
    var method: String?
    /// Numeric and boolean options (`ce-weight`, `loss-weight`, `temperature`, `dkd-beta`, …;
    /// booleans as 1 or 0).
    var methodOptions: [String: Double] = [:]
    /// Options that name a choice (`kd-reduction`).
    var textOptions: [String: String] = [:]

    /// The keys every method reads: the weights of CE and of the term, and the temperature.
    static let weightKeys = [DistillationMethod.crossEntropyWeightKey, DistillationMethod.lossWeightKey, DistillationMethod.temperatureKey]
    /// The options the methods declare, by key; the training keys some of them read
    /// (`label-smoothing`) are not among them.
    static let declarations: [String: MethodOption] = Dictionary(
        DistillationMethod.allCases.flatMap(\.options).filter { !TrainingSettings.keys.contains($0.key) }.map { ($0.key, $0) }
    ) { first, _ in first }
    /// Options of the methods: the weights, the temperature and every declared option.
    static let keys = weightKeys + declarations.keys.sorted()

    /// Sets one of ``keys``; the error names the key.
    mutating func set(_ setting: SettingText) throws(CLIError) {
        if let declaration = Self.declarations[setting.key] {
            if let value = try setting.option(declaration) {
                methodOptions[setting.key] = value
            } else {
                textOptions[setting.key] = setting.text
            }
        } else {
            methodOptions[setting.key] = try setting.number(MethodOption.defaultRange)
        }
    }

    /// Checks that every option given is one `method` reads.
    func check(against method: DistillationMethod) throws(CLIError) {
        let allowed = Set(Self.weightKeys + method.optionKeys)
        if let stray = (methodOptions.keys.sorted() + textOptions.keys.sorted()).first(where: { !allowed.contains($0) }) {
            throw .usage("\(stray) does not apply to \(method.name); it reads \(allowed.sorted().joined(separator: ", "))")
        }
    }

    /// The first option given, if any.
    var firstGivenKey: String? { methodOptions.keys.sorted().first ?? textOptions.keys.sorted().first }

    /// The options as JSON (the method's name is the command's to write).
    var json: [String: Any] {
        var object: [String: Any] = [:]
        for (key, value) in methodOptions { object[key] = value }
        for (key, value) in textOptions { object[key] = value }
        return object
    }
}
