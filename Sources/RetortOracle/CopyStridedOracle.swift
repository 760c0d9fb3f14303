import RetortCompute

/// CPU oracle of `CopyStridedLauncher`: plain index arithmetic over the index space.
public enum CopyStridedOracle {
    /// `destination` after copying the index space `shape` from `source` (layouts as in `StridedCopy.Layout`).
    public static func copy(_ source: [Float], _ sourceLayout: CopyStridedLauncher.Layout, into destination: [Float],
                            _ destinationLayout: CopyStridedLauncher.Layout, shape: [Int]) -> [Float] {
        var result = destination
        var index = [Int](repeating: 0, count: shape.count)
        for _ in 0..<shape.reduce(1, *) {
            let s = zip(index, sourceLayout.strides).reduce(sourceLayout.offset) { $0 + $1.0 * $1.1 }
            let d = zip(index, destinationLayout.strides).reduce(destinationLayout.offset) { $0 + $1.0 * $1.1 }
            result[d] = source[s]
            for axis in shape.indices.reversed() {
                index[axis] += 1
                if index[axis] < shape[axis] { break }
                index[axis] = 0
            }
        }
        return result
    }

    /// `x[:, range, :]` of x viewed as [outer, axis, inner].
    public static func slice(_ x: [Float], outer: Int, axis: Int, inner: Int, range: Range<Int>) -> [Float] {
        var y: [Float] = []
        for o in 0..<outer { for c in range { for i in 0..<inner { y.append(x[(o * axis + c) * inner + i]) } } }
        return y
    }

    /// `destination` (viewed as [outer, axis, inner]) with `slice` ([outer, count, inner]) written at
    /// `offset` along the axis.
    public static func insert(_ slice: [Float], into destination: [Float], outer: Int, axis: Int, inner: Int, at offset: Int) -> [Float] {
        var result = destination
        let count = slice.count / (outer * inner)
        for o in 0..<outer {
            for c in 0..<count {
                for i in 0..<inner { result[(o * axis + offset + c) * inner + i] = slice[(o * count + c) * inner + i] }
            }
        }
        return result
    }

    /// ShuffleNet's shuffle: y channel j·g + i = x channel i·(C/g) + j.
    public static func shuffle(_ x: [Float], batch: Int, channels: Int, spatial: Int, groups: Int) -> [Float] {
        var y = x
        let perGroup = channels / groups
        for n in 0..<batch {
            for i in 0..<groups {
                for j in 0..<perGroup {
                    for s in 0..<spatial {
                        y[(n * channels + j * groups + i) * spatial + s] = x[(n * channels + i * perGroup + j) * spatial + s]
                    }
                }
            }
        }
        return y
    }
}
