import Foundation

/// CPU oracle of RetortDistill's Zipf label-smoothing kernels (`ZipfTargetsLauncher`, `ZipfVotesLauncher`), in Double.
public enum ZipfOracle {
    /// Each row's Zipf prior over its non-target classes (rank = 1 + the number of larger scores, weight
    /// rank^−power, 0 at the label, normalized) and whether its first arg-max is the label (1 or 0).
    public static func targets(scores: [Float], labels: [Int], classes: Int, power: Double) -> (distribution: [Double], correct: [Double]) {
        var distribution: [Double] = [], correct: [Double] = []
        for (row, label) in labels.enumerated() {
            let s = Array(scores[row * classes..<(row + 1) * classes])
            let weights = (0..<classes).map { c in c == label ? 0 : pow(Double(1 + s.filter { $0 > s[c] }.count), -power) }
            let total = weights.reduce(0, +)
            distribution += weights.map { $0 / total }
            correct.append(s.firstIndex(of: s.max()!) == label ? 1 : 0)
        }
        return (distribution, correct)
    }

    /// `F.interpolate(x, scale_factor=2, mode='bilinear', align_corners=False)` at (y, x) of one plane.
    public static func bilinear(_ plane: [Double], height: Int, width: Int, y: Int, x: Int) -> Double {
        func source(_ o: Int, _ size: Int) -> (Int, Int, Double) {
            let s = max((Double(o) + 0.5) / 2 - 0.5, 0)
            let i0 = Int(s.rounded(.down))
            return (i0, min(i0 + 1, size - 1), s - Double(i0))
        }
        let (y0, y1, ly) = source(y, height), (x0, x1, lx) = source(x, width)
        let top = (1 - lx) * plane[y0 * width + x0] + lx * plane[y0 * width + x1]
        let bottom = (1 - lx) * plane[y1 * width + x0] + lx * plane[y1 * width + x1]
        return (1 - ly) * top + ly * bottom
    }

    /// Rows `[N·H'·W', D]` (position-major, channels last) of a `[N, D, H, W]` map, H' and W' doubled by
    /// bilinear upsampling when `upsampled`.
    public static func positions(_ map: [Float], _ shape: [Int], upsampled: Bool) -> [[Double]] {
        let (batch, channels, height, width) = (shape[0], shape[1], shape[2], shape[3])
        let scale = upsampled ? 2 : 1
        var rows: [[Double]] = []
        for n in 0..<batch {
            let planes = (0..<channels).map { d in
                map[((n * channels + d) * height * width)..<((n * channels + d + 1) * height * width)].map(Double.init)
            }
            for y in 0..<(height * scale) {
                for x in 0..<(width * scale) {
                    rows.append(planes.map { upsampled ? bilinear($0, height: height, width: width, y: y, x: x) : $0[y * width + x] })
                }
            }
        }
        return rows
    }

    /// Votes `[samples][classes]`: how many of each sample's position rows have their first maximum at each class.
    public static func votes(_ logits: [[Double]], samples: Int) -> [[Double]] {
        let positions = logits.count / samples, classes = logits[0].count
        return (0..<samples).map { n in
            var counts = [Double](repeating: 0, count: classes)
            for row in logits[(n * positions)..<((n + 1) * positions)] { counts[row.firstIndex(of: row.max()!)!] += 1 }
            return counts
        }
    }
}
