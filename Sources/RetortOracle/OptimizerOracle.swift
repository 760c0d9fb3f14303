import Foundation
import RetortCompute

/// CPU re-implementations (Double) of torch.optim.SGD and torch.optim.AdamW, written from the
/// formulas in PyTorch's documentation.
public enum OptimizerOracle {
    /// One SGD step; `buffer` is nil before the first momentum step.
    public static func sgd(parameters: inout [Double], gradients: [Double], buffer: inout [Double]?, options: SGDLauncher.Options) {
        var newBuffer = [Double](repeating: 0, count: parameters.count)
        for i in parameters.indices {
            var g = options.maximize ? -gradients[i] : gradients[i]
            g += options.weightDecay * parameters[i]
            if options.momentum != 0 {
                let b = buffer.map { options.momentum * $0[i] + (1 - options.dampening) * g } ?? g
                newBuffer[i] = b
                g = options.nesterov ? g + options.momentum * b : b
            }
            parameters[i] -= options.learningRate * g
        }
        if options.momentum != 0 { buffer = newBuffer }
    }

    /// AdamW step number `step` (from 1).
    public static func adamW(parameters: inout [Double], gradients: [Double], m: inout [Double], v: inout [Double], step: Int,
                      options: AdamWLauncher.Options) {
        let (lr, beta1, beta2) = (options.learningRate, options.beta1, options.beta2)
        for i in parameters.indices {
            let g = options.maximize ? -gradients[i] : gradients[i]
            parameters[i] *= 1 - lr * options.weightDecay
            m[i] = beta1 * m[i] + (1 - beta1) * g
            v[i] = beta2 * v[i] + (1 - beta2) * g * g
            let mHat = m[i] / (1 - pow(beta1, Double(step)))
            let vHat = v[i] / (1 - pow(beta2, Double(step)))
            parameters[i] -= lr * mHat / (vHat.squareRoot() + options.epsilon)
        }
    }
}
