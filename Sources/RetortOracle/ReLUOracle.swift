/// CPU oracle of `ReLULauncher`, following PyTorch: NaN stays NaN forward and passes the gradient backward.
public enum ReLUOracle {
    /// max(x, 0).
    public static func relu(_ x: [Float]) -> [Double] {
        x.map { $0.isNaN ? .nan : Double(max($0, 0)) }
    }

    /// max(a + b, 0), the sum rounded to Float first as the kernel does.
    public static func reluOfSum(_ a: [Float], _ b: [Float]) -> [Double] {
        relu(zip(a, b).map { $0 + $1 })
    }

    /// min(max(x, 0), 6).
    public static func relu6(_ x: [Float]) -> [Double] {
        x.map { $0.isNaN ? .nan : Double(min(max($0, 0), 6)) }
    }

    /// dy where the mask (the forward's input or output) is positive or NaN, else 0.
    public static func reluBackward(mask: [Float], _ dy: [Float]) -> [Double] {
        zip(mask, dy).map { $0.isNaN || $0 > 0 ? Double($1) : 0 }
    }

    /// dy where 0 < mask < 6 or the mask is NaN, else 0.
    public static func relu6Backward(mask: [Float], _ dy: [Float]) -> [Double] {
        zip(mask, dy).map { $0.isNaN || ($0 > 0 && $0 < 6) ? Double($1) : 0 }
    }
}
