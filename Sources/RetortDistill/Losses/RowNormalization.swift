import Retort

// Row-wise helpers shared by the feature losses.
//   x: [B, D];  s: [B]

extension Tensor {
    /// `F.normalize(x, p=2, dim=1, eps)`: each row of a `[B, D]` matrix divided by
    /// `max(‖row‖₂, epsilon)`, computed as `1/√max(‖row‖², epsilon²)` so that a zero row gives zeros
    /// and a finite gradient.
    func normalizedRows(epsilon: Float = 1e-12) throws -> Tensor {
        guard shape.count == 2 else { throw TensorError.invalidShape(op: "normalizedRows", shape: shape, expected: "[B, D]") }
        let squares = try squared().sum(alongAxis: 1)  // [B]
        let floor = try Tensor.full(epsilon * epsilon, shape: [1], context: context)
        let clamped = try (squares - floor).relu() + floor  // max(‖row‖², ε²)
        return try multiplying(clamped.squareRoot().reciprocal(), per: .rows)
    }
}
