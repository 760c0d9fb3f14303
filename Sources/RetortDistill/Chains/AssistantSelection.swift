import Foundation

/// Teacher assistants chosen automatically between a teacher and a student of one ``ModelFamily``
/// (TAKD, Mirzadeh et al. 2020, bridges the capacity gap with intermediate-size networks).
///
/// The rule: on a log-parameter scale, `count` assistants split the gap between teacher and
/// student into `count + 1` equal steps; the ideal sizes are
/// `exp(log P_t − k/(count+1) · (log P_t − log P_s))`, k = 1…count (one assistant: the geometric
/// mean `√(P_t·P_s)`). Among the family members strictly between the two in size, the `count`
/// distinct members closest to those ideals (smallest total |log P − log ideal|, matched in size
/// order) are chosen. Parameter counts come from the actual models for the dataset's input shape
/// and class count (the plain CNNs' classifier depends on both).
public struct AssistantSelection: Equatable, Sendable {
    /// The chosen assistants, largest first.
    public var assistants: [String]
    /// The ideal parameter counts the assistants approximate, largest first.
    public var idealParameters: [Double]
    /// Parameter counts of teacher, student and every candidate, by name.
    public var parameters: [String: Int]
    /// One sentence that says why these assistants were chosen, with the numbers.
    public var explanation: String

    /// Chooses `count` assistants between `teacher` and `student`.
    /// - Parameter parameterCount: the parameter count of a zoo model (for the dataset at hand).
    /// - Throws: ``ChainError`` when the two are not of one family, the teacher is not larger, or
    ///   fewer than `count` members lie strictly between them.
    public init(teacher: String, student: String, count: Int = 1, parameterCount: (String) throws -> Int) throws {
        guard let family = ModelFamily.of(teacher) else { throw ChainError.notInFamily(model: teacher) }
        guard let studentFamily = ModelFamily.of(student) else { throw ChainError.notInFamily(model: student) }
        guard family == studentFamily else {
            throw ChainError.mixedFamilies(teacher: teacher, teacherFamily: family.rawValue, student: student, studentFamily: studentFamily.rawValue)
        }
        var parameters: [String: Int] = [:]
        for member in family.members { parameters[member] = try parameterCount(member) }
        let (large, small) = (parameters[teacher] ?? 0, parameters[student] ?? 0)
        guard large > small else {
            throw ChainError.teacherNotLarger(teacher: teacher, teacherParameters: large, student: student, studentParameters: small)
        }
        // Strictly between in size, largest first.
        let candidates = family.members.filter { (parameters[$0] ?? 0) > small && (parameters[$0] ?? 0) < large }
            .sorted { parameters[$0]! > parameters[$1]! }
        let count = max(count, 1)
        guard candidates.count >= count else {
            throw ChainError.notEnoughMembersBetween(teacher: teacher, student: student, requested: count, available: candidates)
        }
        let (logLarge, logSmall) = (log(Double(large)), log(Double(small)))
        let ideals = (1...count).map { exp(logLarge - Double($0) / Double(count + 1) * (logLarge - logSmall)) }
        // Every size-ordered choice of `count` candidates, matched to the size-ordered ideals
        // (at most C(7, k) subsets for the largest family).
        var best: (cost: Double, choice: [String])?
        for choice in Self.combinations(of: candidates, choosing: count) {
            let cost = zip(choice, ideals).map { abs(log(Double(parameters[$0]!)) - log($1)) }.reduce(0, +)
            if best == nil || cost < best!.cost { best = (cost, choice) }
        }
        assistants = best?.choice ?? []
        idealParameters = ideals
        self.parameters = parameters
        func described(_ name: String) -> String { "\(name) (\(TableCell.count(parameters[name]!)))" }
        let between = "\(described(teacher)) and \(described(student))"
        if count == 1, let only = assistants.first {
            explanation = "\(only) (\(TableCell.count(parameters[only]!)) params) is the closest to the geometric mean "
                + "\(TableCell.count(Int(ideals[0].rounded()))) of \(between)"
        } else {
            let chosen = assistants.map { "\($0) (\(TableCell.count(parameters[$0]!)) params)" }.joined(separator: ", ")
            let targets = ideals.map { TableCell.count(Int($0.rounded())) }.joined(separator: ", ")
            explanation = "\(chosen) are the closest to \(targets), which split the gap between \(between) into \(count + 1) equal steps "
                + "on a log-parameter scale"
        }
    }

    /// The `k`-element subsets of `items`, each in the items' order.
    static func combinations(of items: [String], choosing k: Int) -> [[String]] {
        guard k > 0 else { return [[]] }
        guard items.count >= k else { return [] }
        var result: [[String]] = []
        for (index, item) in items.enumerated() {
            for rest in combinations(of: Array(items[(index + 1)...]), choosing: k - 1) { result.append([item] + rest) }
        }
        return result
    }
}
