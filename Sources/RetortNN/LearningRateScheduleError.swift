/// A learning-rate schedule that cannot be built from the values given; each case names the
/// option as the command line and JSON configurations spell it.
public enum LearningRateScheduleError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The schedule name is not one of `constant`, `multistep`, `step`, `cosine`.
    case unknownSchedule(String)
    /// An option the schedule needs was not given.
    case missingOption(schedule: String, option: String)
    /// An option's value is malformed or out of range; `expected` says what it must be.
    case invalidOption(option: String, value: String, expected: String)
    /// An option that the chosen schedule does not use (probably a mistake in the configuration).
    case inapplicableOption(schedule: String, option: String)
    /// An option name no schedule knows.
    case unknownOption(String)

    public var description: String {
        switch self {
        case .unknownSchedule(let name):
            "unknown learning-rate schedule '\(name)'; known: \(LearningRateScheduleConfiguration.Kind.allCases.map(\.rawValue).joined(separator: ", "))"
        case .missingOption(let schedule, let option):
            "the '\(schedule)' learning-rate schedule needs '\(option)'"
        case .invalidOption(let option, let value, let expected):
            "invalid '\(option)' '\(value)': expected \(expected)"
        case .inapplicableOption(let schedule, let option):
            "'\(option)' does not apply to the '\(schedule)' learning-rate schedule"
        case .unknownOption(let option):
            "unknown learning-rate schedule option '\(option)'; known: \(LearningRateScheduleConfiguration.optionNames.sorted().joined(separator: ", "))"
        }
    }
}
