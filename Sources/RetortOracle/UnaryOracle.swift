import Foundation
import RetortCompute

/// CPU oracle of `UnaryLauncher`, in Double.
public enum UnaryOracle {
    /// `operation` of every element.
    public static func apply(_ operation: UnaryLauncher.Operation, _ x: [Float]) -> [Double] {
        x.map { value in
            let v = Double(value)
            switch operation {
            case .exp: return Foundation.exp(v)
            case .log: return Foundation.log(v)
            case .squareRoot: return v.squareRoot()
            case .reciprocal: return 1 / v
            case .square: return v * v
            }
        }
    }
}
