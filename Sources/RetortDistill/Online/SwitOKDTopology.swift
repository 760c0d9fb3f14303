/// How SwitOKD pairs its networks (Qian et al., ECCV 2022; kd-methods §4.4): one teacher and one
/// student, or the paper's three-network variants (its table 7, code in "multi-net results"). Each
/// teacher–student pair has its own switch (``SwitOKDDecision``).
///
/// Networks are given teachers first: `T,S` (1t1s), `T,S1,S2` (1t2s), `T1,T2,S` (2t1s).
public enum SwitOKDTopology: String, CaseIterable, Sendable {
    /// One teacher, one student (`--models T,S`).
    case oneTeacherOneStudent = "1t1s"
    /// One teacher, two students (`--models T,S1,S2`): pairs T→S1 and T→S2.
    case oneTeacherTwoStudents = "1t2s"
    /// Two teachers, one student (`--models T1,T2,S`): pairs T1→S and T2→S.
    case twoTeachersOneStudent = "2t1s"

    /// The `--topology` key.
    public static let key = "topology"

    /// A teacher–student pair, by network index.
    public struct Pair: Equatable, Sendable {
        public var teacher: Int, student: Int

        public init(teacher: Int, student: Int) {
            self.teacher = teacher
            self.student = student
        }
    }

    /// The pairs, each with its own switch.
    public var pairs: [Pair] {
        switch self {
        case .oneTeacherOneStudent: return [Pair(teacher: 0, student: 1)]
        case .oneTeacherTwoStudents: return [Pair(teacher: 0, student: 1), Pair(teacher: 0, student: 2)]
        case .twoTeachersOneStudent: return [Pair(teacher: 0, student: 2), Pair(teacher: 1, student: 2)]
        }
    }

    /// How many networks it trains.
    public var networkCount: Int { self == .oneTeacherOneStudent ? 2 : 3 }

    /// The order of `--models`: `T,S`, `T,S1,S2` or `T1,T2,S`.
    public var modelOrder: String {
        switch self {
        case .oneTeacherOneStudent: return "T,S"
        case .oneTeacherTwoStudents: return "T,S1,S2"
        case .twoTeachersOneStudent: return "T1,T2,S"
        }
    }

    /// The topology named `name` (nil: not given) for `networks` networks (nil: not known yet).
    /// Two networks default to 1t1s; three have no default, since the two three-network topologies
    /// read the same `--models` list differently.
    /// - Throws: for an unknown name, or a topology that trains another number of networks.
    public static func resolve(_ name: String?, networks: Int?) throws(DistillationError) -> SwitOKDTopology {
        let all = allCases.map { "\($0.rawValue) (--models \($0.modelOrder))" }
        if let networks, !(2...3).contains(networks) {
            throw .invalidConfiguration("switokd trains two networks (--models T,S) or three (--\(key) 1t2s or 2t1s), got \(networks)")
        }
        guard let name else {
            guard let networks, networks == 3 else { return .oneTeacherOneStudent }
            throw .invalidConfiguration("switokd with three networks needs --\(key) \(MethodOption.sentence(Array(all.dropFirst()))): "
                                        + "the two read --models differently")
        }
        guard let topology = SwitOKDTopology(rawValue: name) else {
            throw .invalidConfiguration("\(key) must be \(MethodOption.sentence(all)), got '\(name)'")
        }
        if let networks, networks != topology.networkCount {
            throw .invalidConfiguration("--\(key) \(name) trains \(topology.networkCount) networks (--models \(topology.modelOrder)), "
                                        + "got \(networks)")
        }
        return topology
    }
}
