import Retort
import RetortCompute

/// A `[rows, columns]` matrix of row indices in device memory (32-bit), e.g. the memory-bank rows a
/// contrastive loss compares each sample with. Upload once per step and use it in several ops.
public struct RowIndices: Sendable {
    public let rows: Int
    public let columns: Int
    /// One more than the largest index (0 when empty): ops check it against the rows they index.
    public let upperBound: Int
    public let context: Context
    let buffer: Buffer

    /// Uploads `values` (row-major, `rows · columns` of them, each in `0..<2³¹`).
    public init(_ values: [Int], rows: Int, columns: Int, context: Context) throws {
        guard rows > 0, columns > 0, values.count == rows * columns else {
            throw TensorError.countMismatch(shape: [rows, columns], count: values.count)
        }
        if let bad = values.first(where: { !(0...Int(Int32.max)).contains($0) }) {
            throw TensorError.invalidShape(op: "RowIndices", shape: [rows, columns], expected: "indices in 0..<2³¹, got \(bad)")
        }
        self.rows = rows
        self.columns = columns
        upperBound = (values.max() ?? -1) + 1
        self.context = context
        buffer = try context.device.makeBuffer(values.map { UInt32($0) })
    }
}
