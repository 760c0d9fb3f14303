import Retort

/// The gradients of a list of parameters as one flat host array, parameters in reverse order (the
/// order backward finishes them, as DDP's buckets): what one all-reduce sends, and where ghost
/// batches add up their weighted gradients.
struct FlatGradients {
    /// The parameters, reversed.
    let parameters: [Tensor]
    var values: [Float]

    /// Whether nothing was added yet: the first ``add(weight:)`` assigns, so the values keep the
    /// gradients' bits (−0 stays −0) as a single process would have them.
    private var isEmpty = true

    /// Zeros for `parameters`.
    init(_ parameters: [Tensor]) {
        self.parameters = parameters.reversed()
        values = [Float](repeating: 0, count: parameters.reduce(0) { $0 + $1.count })
    }

    /// `values += weight · grad` (a parameter without a gradient adds nothing); the first add assigns.
    mutating func add(weight: Float) throws {
        var offset = 0
        for parameter in parameters {
            if let grad = parameter.grad {
                let gradient = try grad.toArray()
                if isEmpty, weight == 1 {
                    values.replaceSubrange(offset..<offset + parameter.count, with: gradient)
                } else {
                    for i in gradient.indices {
                        let term = weight == 1 ? gradient[i] : gradient[i] * weight
                        values[offset + i] = isEmpty ? term : values[offset + i] + term
                    }
                }
            }
            offset += parameter.count
        }
        isEmpty = false
    }

    /// Makes `values` the parameters' gradients.
    func write() throws {
        var offset = 0
        for parameter in parameters {
            try parameter.setGradient(Array(values[offset..<offset + parameter.count]))
            offset += parameter.count
        }
    }
}
