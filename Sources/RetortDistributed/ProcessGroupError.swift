/// Why a data-parallel job could not start or a collective failed.
public enum ProcessGroupError: Error, CustomStringConvertible, Equatable {
    /// Started by `mpirun`, but Open MPI's library could not be opened.
    case libraryMissing(String)
    /// The MPI library lacks a function or handle Retort needs (not Open MPI 4 or 5).
    case symbolMissing(String)
    /// An MPI call returned an error code.
    case callFailed(function: String, code: Int32)
    /// The processes disagree where they must agree (settings, weights).
    case mismatch(String)
    /// A value exceeds what one MPI call can carry.
    case tooLarge(String)

    public var description: String {
        switch self {
        case .libraryMissing(let reason):
            return "started by mpirun, but Open MPI's library could not be loaded (\(reason)); install Open MPI "
                + "(`make deps`, or `apt-get install openmpi-bin libopenmpi-dev`) on every machine of the job"
        case .symbolMissing(let name):
            return "the MPI library has no '\(name)': Retort runs under Open MPI 4 or 5 (libmpi.so.40); "
                + "start it with Open MPI's mpirun"
        case .callFailed(let function, let code):
            return "\(function) failed with MPI error \(code)"
        case .mismatch(let reason):
            return reason
        case .tooLarge(let reason):
            return reason
        }
    }
}
