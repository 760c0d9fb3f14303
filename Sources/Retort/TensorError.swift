/// Errors from tensor operations. Messages name the op and the shapes involved.
public enum TensorError: Error, Equatable, CustomStringConvertible {
    /// Two operands' shapes do not fit the op.
    case shapeMismatch(op: String, lhs: [Int], rhs: [Int])
    /// One operand's shape does not fit the op.
    case invalidShape(op: String, shape: [Int], expected: String)
    /// The number of values does not match the shape.
    case countMismatch(shape: [Int], count: Int)
    /// `backward()` was called on something it cannot start from.
    case invalidBackward(String)
    /// Tensors from two different contexts were combined.
    case contextMismatch(op: String)

    public var description: String {
        switch self {
        case .shapeMismatch(let op, let lhs, let rhs):
            return "\(op): shapes \(lhs) and \(rhs) do not match."
        case .invalidShape(let op, let shape, let expected):
            return "\(op): got shape \(shape), expected \(expected)."
        case .countMismatch(let shape, let count):
            return "A tensor of shape \(shape) needs \(shape.reduce(1, *)) values, got \(count)."
        case .invalidBackward(let message):
            return "backward(): \(message)"
        case .contextMismatch(let op):
            return "\(op): the tensors belong to different contexts (devices); move one first."
        }
    }
}
