/// The autograd record of one step: for each op whose result needs a gradient, the inputs and a
/// closure mapping the result's gradient to the inputs' gradients (nil for inputs that need none).
final class Tape {
    struct Node {
        let output: Tensor
        let inputs: [Tensor]
        let backward: (Tensor) throws -> [Tensor?]
    }

    private(set) var nodes: [Node] = []

    func record(_ output: Tensor, inputs: [Tensor], backward: @escaping (Tensor) throws -> [Tensor?]) {
        nodes.append(Node(output: output, inputs: inputs, backward: backward))
    }

    func clear() { nodes.removeAll() }

    /// Propagates `seed` (the gradient of `root`) back through the recorded ops, newest first, and
    /// accumulates the result into every leaf that requires a gradient. Clears the tape.
    func backward(from root: Tensor, seed: Tensor) throws {
        defer { clear() }
        var gradients: [ObjectIdentifier: Tensor] = [ObjectIdentifier(root): seed]
        if root.isLeaf, root.requiresGrad { try accumulate(seed, into: root) }
        for node in nodes.reversed() {
            guard let gradient = gradients.removeValue(forKey: ObjectIdentifier(node.output)) else { continue }
            let inputGradients = try node.backward(gradient)
            for (input, computed) in zip(node.inputs, inputGradients) {
                guard let computed, input.requiresGrad else { continue }
                // A gradient has its tensor's precision (an op without a 16-bit kernel computes in fp32).
                let inputGradient = try computed.precision == input.precision ? computed : input.context.noGrad {
                    try computed.cast(to: input.precision)
                }
                if input.isLeaf {
                    try accumulate(inputGradient, into: input)
                } else if let existing = gradients[ObjectIdentifier(input)] {
                    gradients[ObjectIdentifier(input)] = try input.context.noGrad {
                        // Summed in fp32 (the element-wise kernels are fp32), then back to the tensor's precision.
                        try existing.float32().adding(inputGradient.float32(), recording: false).cast(to: input.precision)
                    }
                } else {
                    gradients[ObjectIdentifier(input)] = inputGradient
                }
            }
        }
    }

    /// `leaf.grad += gradient`, in the leaf's persistent gradient buffer.
    private func accumulate(_ gradient: Tensor, into leaf: Tensor) throws {
        if let existing = leaf.grad {
            try existing.addInPlace(gradient)
        } else {
            let copy = try Tensor.empty(shape: leaf.shape, context: leaf.context, isLeaf: true, precision: leaf.precision)
            try leaf.context.stream.copy(gradient.buffer, to: copy.buffer, byteCount: leaf.count * leaf.precision.byteCount)
            leaf.grad = copy
        }
    }
}

extension Tensor {
    /// Back-propagates from this scalar (seeded with 1), accumulating into leaves' ``grad``.
    public func backward() throws { try backward(seed: 1) }

    /// Back-propagates from this scalar seeded with `seed` (the loss scale of mixed-precision
    /// training: every gradient comes out multiplied by it).
    public func backward(seed: Float) throws {
        guard count == 1 else {
            throw TensorError.invalidBackward("start from a scalar (one element); this tensor has shape \(shape)")
        }
        guard requiresGrad else {
            throw TensorError.invalidBackward("this tensor does not depend on anything that requires a gradient")
        }
        try context.tape.backward(from: self, seed: Tensor.full(seed, shape: shape, context: context))
    }

    /// Records `self` as the result of an op over `inputs` when gradients are being recorded and an
    /// input requires one.
    package func recorded(from inputs: [Tensor], backward: @escaping (Tensor) throws -> [Tensor?]) -> Tensor {
        guard context.isRecordingGradients, inputs.contains(where: \.requiresGrad) else { return self }
        requiresGrad = true
        context.tape.record(self, inputs: inputs, backward: backward)
        return self
    }
}
