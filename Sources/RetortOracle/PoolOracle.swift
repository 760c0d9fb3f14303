import RetortCompute

/// CPU oracle of `PoolLauncher`, in Double, following PyTorch's CPU kernels: max pooling (values and the
/// argmax positions within each plane), average pooling with or without the padding counted, and their backward passes.
public enum PoolOracle {
    public typealias Window = PoolLauncher.Window

    /// Each window's largest value (the first one on ties) and its position within the plane.
    public static func maxForward(_ x: [Float], _ s: NCHWShape, _ window: Window) -> (y: [Double], indices: [Int32]) {
        let (oh, ow) = window.outputSize(height: s.h, width: s.w)!
        var y: [Double] = [], indices: [Int32] = []
        for plane in 0..<s.planes {
            for i in 0..<oh {
                for j in 0..<ow {
                    var best = -Double.infinity, bestIndex: Int?
                    for a in 0..<window.kernelHeight {
                        let ih = i * window.strideHeight - window.paddingHeight + a * window.dilationHeight
                        guard ih >= 0, ih < s.h else { continue }
                        for b in 0..<window.kernelWidth {
                            let iw = j * window.strideWidth - window.paddingWidth + b * window.dilationWidth
                            guard iw >= 0, iw < s.w else { continue }
                            let value = Double(x[plane * s.h * s.w + ih * s.w + iw])
                            if bestIndex == nil || value > best { (best, bestIndex) = (value, ih * s.w + iw) }
                        }
                    }
                    y.append(best)
                    indices.append(Int32(bestIndex!))
                }
            }
        }
        return (y, indices)
    }

    /// dy added at each output's argmax position.
    public static func maxBackward(_ dy: [Float], indices: [Int32], _ s: NCHWShape, outputsPerPlane: Int) -> [Double] {
        var dx = [Double](repeating: 0, count: s.count)
        for (o, index) in indices.enumerated() { dx[o / outputsPerPlane * s.h * s.w + Int(index)] += Double(dy[o]) }
        return dx
    }

    /// Each output window: its input positions (inside x) and its divisor.
    public static func averageWindows(_ s: NCHWShape, _ window: Window,
                                      countIncludesPadding: Bool) -> [(positions: [Int], divisor: Double)] {
        let (oh, ow) = window.outputSize(height: s.h, width: s.w)!
        var windows: [(positions: [Int], divisor: Double)] = []
        for i in 0..<oh {
            for j in 0..<ow {
                let h0 = i * window.strideHeight - window.paddingHeight, w0 = j * window.strideWidth - window.paddingWidth
                let h1 = min(h0 + window.kernelHeight, s.h + window.paddingHeight), w1 = min(w0 + window.kernelWidth,
                                                                                             s.w + window.paddingWidth)
                let rows = max(h0, 0)..<min(h1, s.h), cols = max(w0, 0)..<min(w1, s.w)
                let positions = rows.flatMap { ih in cols.map { ih * s.w + $0 } }
                windows.append((positions, Double(countIncludesPadding ? (h1 - h0) * (w1 - w0) : positions.count)))
            }
        }
        return windows
    }

    /// Each window's sum over its divisor.
    public static func averageForward(_ x: [Float], _ s: NCHWShape, _ window: Window, countIncludesPadding: Bool) -> [Double] {
        let windows = averageWindows(s, window, countIncludesPadding: countIncludesPadding)
        return (0..<s.planes).flatMap { plane in
            windows.map { window in
                window.positions.isEmpty ? 0 : window.positions.reduce(0) { $0 + Double(x[plane * s.h * s.w + $1]) } / window.divisor
            }
        }
    }

    /// dy spread over each window, divided by its divisor.
    public static func averageBackward(_ dy: [Float], _ s: NCHWShape, _ window: Window, countIncludesPadding: Bool) -> [Double] {
        let windows = averageWindows(s, window, countIncludesPadding: countIncludesPadding)
        var dx = [Double](repeating: 0, count: s.count)
        for plane in 0..<s.planes {
            for (o, window) in windows.enumerated() {
                for position in window.positions {
                    dx[plane * s.h * s.w + position] += Double(dy[plane * windows.count + o]) / window.divisor
                }
            }
        }
        return dx
    }

    /// The mean of each plane: `[N, C]`.
    public static func globalAverageForward(_ x: [Float], _ s: NCHWShape) -> [Double] {
        (0..<s.planes).map { p in (0..<s.plane).reduce(0.0) { $0 + Double(x[p * s.plane + $1]) } / Double(s.plane) }
    }

    /// dy of each plane spread evenly over it.
    public static func globalAverageBackward(_ dy: [Float], _ s: NCHWShape) -> [Double] {
        (0..<s.count).map { Double(dy[$0 / s.plane]) / Double(s.plane) }
    }
}
