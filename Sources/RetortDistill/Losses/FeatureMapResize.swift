import Retort

/// Resizes feature maps `[N, C, H, W]` to `[N, C, H', W']` as CA-MKD's `CalWeight` does
/// (`models/util.py`): adaptive average pooling (`F.adaptive_avg_pool2d`) when the map is at least as
/// tall as the target, bilinear interpolation (`F.interpolate(mode='bilinear')`, `align_corners`
/// false) when it is shorter. Both are linear in the `H·W` values of each channel, so the resize is
/// one product with a constant `[H·W, H'·W']` matrix (the outer product of the per-axis weights),
/// and its gradient is the product with the transpose. A map already of the target size passes through.
public struct FeatureMapResize {
    /// `(H, W)` of the input and `(H', W')` of the output.
    public let source: (height: Int, width: Int), target: (height: Int, width: Int)
    /// `[H·W, H'·W']`; nil when the sizes are equal.
    private let matrix: Tensor?

    public init(from source: (height: Int, width: Int), to target: (height: Int, width: Int), context: Context) throws {
        guard source.height > 0, source.width > 0, target.height > 0, target.width > 0 else {
            throw DistillationError.invalidConfiguration(
                "cannot resize a \(source.height)×\(source.width) map to \(target.height)×\(target.width)")
        }
        self.source = source
        self.target = target
        guard source != target else {
            matrix = nil
            return
        }
        let pools = source.height >= target.height
        let rows = Self.weights(from: source.height, to: target.height, pooling: pools)
        let columns = Self.weights(from: source.width, to: target.width, pooling: pools)
        let outputs = target.height * target.width
        var values = [Float](repeating: 0, count: source.height * source.width * outputs)
        for p in 0..<target.height {
            for q in 0..<target.width {
                for i in 0..<source.height where rows[p][i] != 0 {
                    for j in 0..<source.width where columns[q][j] != 0 {
                        values[(i * source.width + j) * outputs + p * target.width + q] = Float(rows[p][i] * columns[q][j])
                    }
                }
            }
        }
        matrix = try Tensor(values, shape: [source.height * source.width, outputs], context: context)
    }

    /// The weights `A[p][i]` of input index `i` in output index `p` along one axis: adaptive average
    /// pooling (the mean over `[⌊p·n/m⌋, ⌈(p+1)·n/m⌉)`) or bilinear interpolation at
    /// `max(0, (p + ½)·n/m − ½)` (PyTorch's `align_corners=False` source index).
    public static func weights(from inputs: Int, to outputs: Int, pooling: Bool) -> [[Double]] {
        (0..<outputs).map { p in
            var row = [Double](repeating: 0, count: inputs)
            if pooling {
                let start = p * inputs / outputs, end = ((p + 1) * inputs + outputs - 1) / outputs
                for i in start..<end { row[i] = 1 / Double(end - start) }
            } else {
                let position = max(0, (Double(p) + 0.5) * Double(inputs) / Double(outputs) - 0.5)
                let lower = min(Int(position), inputs - 1), upper = min(lower + 1, inputs - 1)
                let fraction = position - Double(lower)
                row[lower] += 1 - fraction
                row[upper] += fraction
            }
            return row
        }
    }

    /// The resized maps `[N, C, H', W']`.
    public func callAsFunction(_ maps: Tensor) throws -> Tensor {
        guard maps.shape.count == 4, maps.shape[2] == source.height, maps.shape[3] == source.width else {
            throw DistillationError.invalidConfiguration(
                "resize: got maps \(maps.shape), built for [N, C, \(source.height), \(source.width)]")
        }
        guard let matrix else { return maps }
        let (batch, channels) = (maps.shape[0], maps.shape[1])
        return try maps.reshaped([batch * channels, source.height * source.width]).matmul(matrix)
            .reshaped([batch, channels, target.height, target.width])
    }
}
