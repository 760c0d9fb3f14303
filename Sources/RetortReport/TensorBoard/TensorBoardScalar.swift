import RetortCheckpoint

/// One scalar of a TensorBoard summary: `tensorflow.Summary.Value` (tensorflow/core/framework/summary.proto)
/// with its `tag` (field 1) and `simple_value` (field 2, a 32-bit float), which TensorBoard's Scalars
/// dashboard plots against the event's step.
public struct TensorBoardScalar: Equatable, Sendable {
    /// The chart's name; a `/` groups charts (`train/loss` and `train/accuracy` share the group `train`).
    public var tag: String
    public var value: Float

    public init(_ tag: String, _ value: Float) {
        self.tag = tag
        self.value = value
    }

    /// `value` rounded to the float TensorBoard stores.
    public init(_ tag: String, _ value: Double) {
        self.init(tag, Float(value))
    }

    /// The `Summary.Value` message.
    public var message: ProtobufWriter {
        var message = ProtobufWriter()
        message.string(1, tag)
        message.float(2, value)
        return message
    }
}
