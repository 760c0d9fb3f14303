/// A method's options resolved for one run: the values given in a ``DistillationSetup``, and the
/// method's defaults for the rest.
public struct MethodOptions {
    /// The numbers given (`ce-weight`, `loss-weight`, `temperature` and the method's numeric and
    /// boolean options).
    public var given: [String: Double]
    /// The text options given (choices such as `kd-reduction`).
    public var givenText: [String: String]
    /// The method's weights and temperature when not given.
    public var defaults: [String: Double]
    /// The options the method declares.
    public var declared: [MethodOption]

    public init(given: [String: Double], givenText: [String: String] = [:], defaults: [String: Double], declared: [MethodOption]) {
        self.given = given
        self.givenText = givenText
        self.defaults = defaults
        self.declared = declared
    }

    /// The value of `key`: given, or the default (0 for a key nobody declares).
    public func number(_ key: String) -> Double {
        given[key] ?? defaults[key] ?? declared.first { $0.key == key }?.defaultNumber ?? 0
    }

    /// ``number(_:)`` as a `Float`.
    public func float(_ key: String) -> Float { Float(number(key)) }

    /// ``number(_:)`` rounded down to an integer.
    public func integer(_ key: String) -> Int { Int(number(key)) }

    /// A boolean option (any non-zero number is true).
    public func flag(_ key: String) -> Bool { number(key) != 0 }

    /// A choice option: given, or its default.
    public func choice(_ key: String) -> String {
        givenText[key] ?? declared.first { $0.key == key }?.defaultText ?? ""
    }

    /// The weight of cross-entropy with the labels.
    public var crossEntropyWeight: Float { float(DistillationMethod.crossEntropyWeightKey) }
    /// The weight of the method's own term.
    public var lossWeight: Float { float(DistillationMethod.lossWeightKey) }
    /// The temperature.
    public var temperature: Float { float(DistillationMethod.temperatureKey) }
}
