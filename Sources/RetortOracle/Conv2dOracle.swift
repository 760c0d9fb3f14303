import RetortCompute

/// CPU oracle of `Conv2dLauncher` (direct and Winograd alike), in Double: forward, backward data and
/// backward filter of a grouped, strided, dilated, padded convolution. x is `[N, C, H, W]`, w
/// `[K, C/groups, KH, KW]`, y `[N, K, OH, OW]`.
public enum Conv2dOracle {
    /// Calls `body(x, w, y)` with the flat indices of the input, weight and output of every tap that
    /// lands inside the input. The loops run in a fixed order, so the sums are deterministic.
    public static func forEachTap(_ prm: Conv2dLauncher.Parameters, _ body: (_ x: Int, _ w: Int, _ y: Int) -> Void) {
        let cinG = prm.inChannels / prm.groups, coutG = prm.outChannels / prm.groups
        let (kh, kw) = (prm.kernelHeight, prm.kernelWidth)
        let (oh, ow, h, w) = (prm.outputHeight, prm.outputWidth, prm.height, prm.width)
        for n in 0..<prm.batch {
            for k in 0..<prm.outChannels {
                let g = k / coutG
                for i in 0..<oh {
                    for j in 0..<ow {
                        let y = ((n * prm.outChannels + k) * oh + i) * ow + j
                        for c in 0..<cinG {
                            let xPlane = (n * prm.inChannels + g * cinG + c) * h, wPlane = (k * cinG + c) * kh
                            for a in 0..<kh {
                                let ih = i * prm.strideHeight - prm.paddingHeight + a * prm.dilationHeight
                                guard ih >= 0, ih < h else { continue }
                                for b in 0..<kw {
                                    let iw = j * prm.strideWidth - prm.paddingWidth + b * prm.dilationWidth
                                    guard iw >= 0, iw < w else { continue }
                                    body((xPlane + ih) * w + iw, (wPlane + a) * kw + b, y)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// y = w ∗ x + b.
    public static func forward(_ prm: Conv2dLauncher.Parameters, x: [Float], w: [Float], b: [Float]?) -> [Double] {
        let plane = prm.outputHeight * prm.outputWidth
        var y = [Double](repeating: 0, count: prm.outputShape.reduce(1, *))
        if let b { for index in y.indices { y[index] = Double(b[(index / plane) % prm.outChannels]) } }
        forEachTap(prm) { xi, wi, yi in y[yi] += Double(w[wi]) * Double(x[xi]) }
        return y
    }

    /// dx from dy and w.
    public static func backwardData(_ prm: Conv2dLauncher.Parameters, dy: [Float], w: [Float]) -> [Double] {
        var dx = [Double](repeating: 0, count: prm.inputShape.reduce(1, *))
        forEachTap(prm) { xi, wi, yi in dx[xi] += Double(w[wi]) * Double(dy[yi]) }
        return dx
    }

    /// dw and db from x and dy.
    public static func backwardFilter(_ prm: Conv2dLauncher.Parameters, x: [Float], dy: [Float]) -> (dw: [Double], db: [Double]) {
        let plane = prm.outputHeight * prm.outputWidth
        var dw = [Double](repeating: 0, count: prm.weightShape.reduce(1, *))
        var db = [Double](repeating: 0, count: prm.outChannels)
        forEachTap(prm) { xi, wi, yi in dw[wi] += Double(dy[yi]) * Double(x[xi]) }
        for index in dy.indices { db[(index / plane) % prm.outChannels] += Double(dy[index]) }
        return (dw, db)
    }
}
