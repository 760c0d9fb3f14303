/// The shape `[N, C, H, W]` of an image batch, as the batch-norm and pooling oracles take it.
public struct NCHWShape: Sendable, Hashable, CustomStringConvertible {
    public let n, c, h, w: Int

    public init(n: Int, c: Int, h: Int, w: Int) {
        (self.n, self.c, self.h, self.w) = (n, c, h, w)
    }

    /// N·C·H·W.
    public var count: Int { n * c * h * w }
    /// H·W, the values of one plane.
    public var plane: Int { h * w }
    /// N·C, the number of planes.
    public var planes: Int { n * c }
    public var description: String { "[\(n), \(c), \(h), \(w)]" }
}
