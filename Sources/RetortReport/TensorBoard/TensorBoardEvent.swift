import RetortCheckpoint

/// One record of a TensorBoard event file: `tensorflow.Event` (tensorflow/core/util/event.proto) with
/// its `wall_time` (field 1, seconds since 1970 as a double), `step` (field 2, int64) and one of
/// `file_version` (field 3), `summary` (field 5: `Summary`, whose field 1 repeats `Summary.Value`) or
/// `session_log` (field 7: `SessionLog`, whose field 1 is its status; 1 is `START`).
public struct TensorBoardEvent: Equatable, Sendable {
    /// What the event says.
    public enum Content: Equatable, Sendable {
        /// The file's format, the first record of every file (`brain.Event:2`).
        case fileVersion(String)
        /// Scalars at the event's step.
        case scalars([TensorBoardScalar])
        /// The run (re)starts at the event's step: TensorBoard drops what earlier events logged at this
        /// step or later (steps a crash orphaned, which the resumed run logs again).
        case sessionStart
    }

    public var wallTime: Double
    public var step: Int64
    public var content: Content

    /// The file version TensorBoard reads with its current rules (restarts marked by ``Content/sessionStart``).
    public static let fileVersion = "brain.Event:2"

    public init(wallTime: Double, step: Int64, _ content: Content) {
        self.wallTime = wallTime
        self.step = step
        self.content = content
    }

    /// The serialized `Event` message.
    public var encoded: [UInt8] {
        var event = ProtobufWriter()
        event.double(1, wallTime)
        event.varint(2, step)
        switch content {
        case .fileVersion(let version):
            event.string(3, version)
        case .scalars(let scalars):
            var summary = ProtobufWriter()
            for scalar in scalars { summary.message(1, scalar.message) }
            event.message(5, summary)
        case .sessionStart:
            var sessionLog = ProtobufWriter()
            sessionLog.varint(1, 1)
            event.message(7, sessionLog)
        }
        return event.bytes
    }
}
