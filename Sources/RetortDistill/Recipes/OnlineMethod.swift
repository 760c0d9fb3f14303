import Retort

/// A method of `retort online`: its name, how many networks it trains, whether its first network is
/// a pretrained frozen teacher, its options and how it builds the objective.
///
/// Each method is declared beside its objective (see ``RegisteredOnlineMethod``); ``MethodRegistry``
/// finds it by name. Two methods are equal when their names are.
public struct OnlineMethod: Sendable, Hashable, CustomStringConvertible {
    /// Builds the objective from the label smoothing of the run, the resolved options and the number
    /// of networks (nil when not known: the method's default layout).
    public typealias Constructor = @Sendable (_ labelSmoothing: Float, MethodOptions, _ networks: Int?) throws -> any OnlineObjective

    public let name: String
    /// Where the method is listed (help, error messages); ties by name.
    public let order: Int
    /// One line for help text.
    public let summary: String
    /// How many networks it trains together (`--models`).
    public let networks: ClosedRange<Int>
    /// The first network is a pretrained teacher (`--teacher-weights`), frozen, that gets a
    /// trained auxiliary branch (SOKD).
    public let teachesFromFrozenTeacher: Bool
    /// The options it reads.
    public let options: [MethodOption]
    /// Why it trains no other number of networks, for the error that refuses one (nil: no note).
    public let networksNote: String?
    private let constructor: Constructor

    public init(name: String, order: Int, summary: String, networks: ClosedRange<Int>, networksNote: String? = nil,
                teachesFromFrozenTeacher: Bool = false, options: [MethodOption] = [], objective: @escaping Constructor) {
        (self.name, self.order, self.summary) = (name, order, summary)
        (self.networks, self.networksNote, self.teachesFromFrozenTeacher) = (networks, networksNote, teachesFromFrozenTeacher)
        (self.options, constructor) = (options, objective)
    }

    /// Parses a method name, or an error listing the known ones.
    public init(name: String) throws(DistillationError) {
        let all = Self.allCases
        guard let method = all.first(where: { $0.name == name }) else {
            throw .invalidConfiguration("unknown online method '\(name)'; choose one of \(all.map(\.name).joined(separator: ", "))")
        }
        self = method
    }

    /// Every registered online method, as they are listed.
    public static var allCases: [OnlineMethod] { MethodRegistry.onlineMethods }

    public var description: String { name }

    /// The declared option with `key`, if the method reads it.
    public func option(_ key: String) -> MethodOption? { options.first { $0.key == key } }

    /// The objective for `networks` networks (nil: the method's default layout), with `options` and
    /// the choices `text` (missing ones take the declared defaults).
    /// - Throws: when an option is out of range or does not fit that many networks.
    public func makeObjective(labelSmoothing: Float = 0, options given: [String: Double] = [:], text: [String: String] = [:],
                              networks: Int? = nil) throws -> any OnlineObjective {
        try constructor(labelSmoothing, MethodOptions(given: given, givenText: text, defaults: [:], declared: options), networks)
    }

    public static func == (lhs: OnlineMethod, rhs: OnlineMethod) -> Bool { lhs.name == rhs.name }
    public func hash(into hasher: inout Hasher) { hasher.combine(name) }
}
