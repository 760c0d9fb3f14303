import RetortCompute

// Element-wise unary functions and their backward.
//   x, y: [any shape]
//   exp: dx = dy·y;  log: dx = dy/x;  sqrt: dx = dy/(2y);  reciprocal: dx = −dy·y²;  square: dx = 2x·dy

extension Tensor {
    enum UnaryOp: UInt32 { case exp = 0, log, sqrt, reciprocal, square }

    /// `eˣ` element-wise.
    public func exp() throws -> Tensor {
        if precision.isReduced { return try float32().exp() }
        let y = try unary(.exp)
        return y.recorded(from: [self]) { g in [try g.binary(.multiply, y, name: "exp backward")] }
    }

    /// The natural logarithm element-wise (−inf at 0, NaN below).
    public func log() throws -> Tensor {
        if precision.isReduced { return try float32().log() }
        let y = try unary(.log)
        return y.recorded(from: [self]) { [self] g in [try g.binary(.divide, self, name: "log backward")] }
    }

    /// `√x` element-wise.
    public func squareRoot() throws -> Tensor {
        if precision.isReduced { return try float32().squareRoot() }
        let y = try unary(.sqrt)
        return y.recorded(from: [self]) { g in [try g.binary(.divide, y, name: "sqrt backward").scaled(by: 0.5)] }
    }

    /// `1/x` element-wise.
    public func reciprocal() throws -> Tensor {
        if precision.isReduced { return try float32().reciprocal() }
        let y = try unary(.reciprocal)
        return y.recorded(from: [self]) { g in
            [try g.binary(.multiply, y, name: "reciprocal backward").binary(.multiply, y, name: "reciprocal backward").scaled(by: -1)]
        }
    }

    /// `x²` element-wise.
    public func squared() throws -> Tensor {
        if precision.isReduced { return try float32().squared() }
        let y = try unary(.square)
        return y.recorded(from: [self]) { [self] g in [try g.binary(.multiply, self, name: "square backward").scaled(by: 2)] }
    }

    /// The same values as a new leaf that takes no gradient (shares the device memory).
    public func detached() -> Tensor {
        Tensor(context: context, shape: shape, buffer: buffer, requiresGrad: false, isLeaf: true, precision: precision)
    }

    /// `OP(self)` into a new tensor, not recorded.
    func unary(_ op: UnaryOp) throws -> Tensor {
        let y = try Tensor.empty(shape: shape, context: context)
        let launcher = try context.launcher(UnaryLauncher.self) { try UnaryLauncher(device: $0) }
        try launcher.encode(UnaryLauncher.Operation(rawValue: op.rawValue)!, into: context.stream, input: buffer, output: y.buffer,
                            count: count)
        return y
    }
}
