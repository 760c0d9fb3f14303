import RetortCompute
import RetortOracle

/// The element-wise cases: ReLU family, binary and unary ops, reductions and strided copies.
extension SelfTestCatalog {
    /// Counts that leave partial subgroups and texels: 1, primes, non-multiples of 4, a CIFAR activation,
    /// and one past 65,536.
    private static let counts = [1, 7, 33, 4093, 2 * 16 * 32 * 32, 65_537]

    /// ReLU, ReLU6 and the fused ReLU of a sum, forward and backward (exact).
    static func reluCases() -> [SelfTestCase] {
        counts.flatMap { count -> [SelfTestCase] in
            [
                SelfTestCase(family: "relu", name: "relu \(count)", direction: .forward, tolerance: 0) { bench in
                    let x = bench.floats(count), y = try bench.output(count)
                    try ReLULauncher(device: bench.device).encodeReLU(into: bench.stream, input: try bench.buffer(x), output: y,
                                                                      count: count)
                    return try bench.compare([(y, ReLUOracle.relu(x))])
                },
                SelfTestCase(family: "relu", name: "relu \(count)", direction: .backward, tolerance: 0) { bench in
                    let x = bench.floats(count), dy = bench.floats(count), dx = try bench.output(count)
                    try ReLULauncher(device: bench.device).encodeReLUBackward(into: bench.stream, outputGradient: try bench.buffer(dy),
                                                                              mask: try bench.buffer(x), inputGradient: dx, count: count)
                    return try bench.compare([(dx, ReLUOracle.reluBackward(mask: x, dy))])
                },
                SelfTestCase(family: "relu", name: "relu6 \(count)", direction: .forward, tolerance: 0) { bench in
                    let x = bench.floats(count, in: -2...8), y = try bench.output(count)
                    try ReLULauncher(device: bench.device).encodeReLU6(into: bench.stream, input: try bench.buffer(x), output: y,
                                                                       count: count)
                    return try bench.compare([(y, ReLUOracle.relu6(x))])
                },
                SelfTestCase(family: "relu", name: "relu6 \(count)", direction: .backward, tolerance: 0) { bench in
                    let x = bench.floats(count, in: -2...8), dy = bench.floats(count), dx = try bench.output(count)
                    try ReLULauncher(device: bench.device).encodeReLU6Backward(into: bench.stream, outputGradient: try bench.buffer(dy),
                                                                               mask: try bench.buffer(x), inputGradient: dx, count: count)
                    return try bench.compare([(dx, ReLUOracle.relu6Backward(mask: x, dy))])
                },
                SelfTestCase(family: "relu", name: "relu(a + b) \(count)", direction: .forward, tolerance: 0) { bench in
                    let a = bench.floats(count), b = bench.floats(count), y = try bench.output(count)
                    try ReLULauncher(device: bench.device).encodeReLUOfSum(into: bench.stream, a: try bench.buffer(a),
                                                                           b: try bench.buffer(b),
                                                                           output: y, count: count)
                    return try bench.compare([(y, ReLUOracle.reluOfSum(a, b))])
                },
            ]
        }
    }

    /// Binary ops: add, subtract, multiply and axpy with every broadcast on NCHW and odd shapes; the
    /// same-shape ops and scale (the unit tests' 1e-6).
    static func elementwiseCases() -> [SelfTestCase] {
        let shapes: [[Int]] = [[1], [33], [65_537], [3, 5, 7, 9], [2, 16, 32, 32], [130, 3], [2, 300, 2, 2]]
        var cases: [SelfTestCase] = []
        for shape in shapes {
            let count = shape.reduce(1, *)
            for broadcast in ElementwiseLauncher.Broadcast.allCases where broadcast != .channel || shape.count >= 2 {
                let binary: [(String, (Double, Double) -> Double)] = [("add", { $0 + $1 }), ("subtract", { $0 - $1 }),
                                                                     ("multiply", { $0 * $1 }), ("axpy 1.5", { $0 + 1.5 * $1 })]
                for (name, op) in binary {
                    cases.append(SelfTestCase(family: "elementwise", name: "\(name) \(shape) b: \(broadcast)", direction: .forward,
                                              tolerance: 1e-6) { bench in
                        let elementwise = try ElementwiseLauncher(device: bench.device)
                        let a = bench.floats(count), b = bench.floats(broadcast.count(for: shape))
                        let (bufferA, bufferB) = (try bench.buffer(a), try bench.buffer(b))
                        let output = name.hasPrefix("axpy") ? bufferA : try bench.output(count)
                        switch name {
                        case "add": try elementwise.encodeAdd(into: bench.stream, a: bufferA, b: bufferB, output: output, shape: shape,
                                                              broadcast: broadcast)
                        case "subtract": try elementwise.encodeSubtract(into: bench.stream, a: bufferA, b: bufferB, output: output,
                                                                        shape: shape, broadcast: broadcast)
                        case "multiply": try elementwise.encodeMultiply(into: bench.stream, a: bufferA, b: bufferB, output: output,
                                                                        shape: shape, broadcast: broadcast)
                        default: try elementwise.encodeAXPY(into: bench.stream, alpha: 1.5, x: bufferB, y: bufferA, shape: shape,
                                                            broadcast: broadcast)
                        }
                        return try bench.compare([(output, ElementwiseOracle.binary(a, b, shape: shape, broadcast, op))])
                    })
                }
            }
            for operation in ElementwiseLauncher.Operation.allCases {
                cases.append(SelfTestCase(family: "elementwise", name: "\(operation) \(count)", direction: .forward,
                                          tolerance: 1e-6) { bench in
                    let a = bench.floats(count), b = bench.floats(count).map { $0 < 0 ? $0 - 0.5 : $0 + 0.5 }  // no division by ~0
                    let output = try bench.output(count)
                    try ElementwiseLauncher(device: bench.device).encode(operation, into: bench.stream, a: try bench.buffer(a),
                                                                         b: try bench.buffer(b), output: output, count: count)
                    return try bench.compare([(output, ElementwiseOracle.apply(operation, a, b))])
                })
            }
            cases.append(SelfTestCase(family: "elementwise", name: "scale -2.5 \(count)", direction: .forward, tolerance: 1e-6) { bench in
                let x = bench.floats(count), output = try bench.output(count)
                try ElementwiseLauncher(device: bench.device).encodeScale(into: bench.stream, alpha: -2.5, x: try bench.buffer(x),
                                                                          output: output, count: count)
                return try bench.compare([(output, x.map { -2.5 * Double($0) })])
            })
        }
        return cases
    }

    /// exp, log, sqrt, reciprocal and square (inside every op's domain).
    static func unaryCases() -> [SelfTestCase] {
        counts.flatMap { count in
            UnaryLauncher.Operation.allCases.map { operation in
                SelfTestCase(family: "unary", name: "\(operation) \(count)", direction: .forward, tolerance: 1e-6) { bench in
                    let x = bench.floats(count).map { abs($0) + 0.1 }, y = try bench.output(count)
                    try UnaryLauncher(device: bench.device).encode(operation, into: bench.stream, input: try bench.buffer(x), output: y,
                                                                   count: count)
                    return try bench.compare([(y, UnaryOracle.apply(operation, x))])
                }
            }
        }
    }

    /// Sums and means over an axis, over all but one axis, to a broadcast operand's shape, and in total.
    static func reduceCases() -> [SelfTestCase] {
        let views = [(1, 1, 1), (2, 16, 1024), (128, 10, 1), (1, 65_537, 1), (3, 7, 33), (5, 300, 4)]
        var cases: [SelfTestCase] = views.flatMap { outer, reduced, inner in
            [false, true].map { mean in
                SelfTestCase(family: "reduce", name: "\(mean ? "mean" : "sum") [\(outer),\(reduced),\(inner)] axis 1", direction: .forward,
                             tolerance: 1e-4) { bench in
                    let view = ReduceLauncher.AxisView(outer: outer, reduced: reduced, inner: inner)
                    let x = bench.floats(outer * reduced * inner), y = try bench.output(outer * inner)
                    try ReduceLauncher(device: bench.device).encodeSum(into: bench.stream, input: try bench.buffer(x), output: y,
                                                                       view: view,
                                                                       mean: mean)
                    return try bench.compare([(y, ReduceOracle.sum(x, view).map { mean ? $0 / Double(reduced) : $0 })])
                }
            }
        }
        for shape in [[2, 16, 32, 32], [3, 5, 7, 9], [130, 3]] {
            cases.append(SelfTestCase(family: "reduce", name: "sum keeping axis 1 \(shape)", direction: .forward,
                                      tolerance: 1e-4) { bench in
                let x = bench.floats(shape.reduce(1, *)), y = try bench.output(shape[1])
                try ReduceLauncher(device: bench.device).encodeSum(into: bench.stream, input: try bench.buffer(x), output: y, shape: shape,
                                                                   keeping: 1)
                return try bench.compare([(y, ReduceOracle.sum(x, shape: shape, keeping: 1))])
            })
            for broadcast in ElementwiseLauncher.Broadcast.allCases {
                cases.append(SelfTestCase(family: "reduce", name: "sum \(shape) to \(broadcast)", direction: .backward,
                                          tolerance: 1e-4) { bench in
                    let x = bench.floats(shape.reduce(1, *)), y = try bench.output(broadcast.count(for: shape))
                    try ReduceLauncher(device: bench.device).encodeSum(into: bench.stream, input: try bench.buffer(x), output: y,
                                                                       shape: shape, to: broadcast)
                    return try bench.compare([(y, ElementwiseOracle.sum(x.map(Double.init), shape: shape, to: broadcast))])
                })
            }
            cases.append(SelfTestCase(family: "reduce", name: "total \(shape)", direction: .forward, tolerance: 1e-4) { bench in
                let x = bench.floats(shape.reduce(1, *)), y = try bench.output(1)
                try ReduceLauncher(device: bench.device).encodeTotal(into: bench.stream, input: try bench.buffer(x), output: y,
                                                                     count: x.count)
                return try bench.compare([(y, [x.reduce(0) { $0 + Double($1) }])])
            })
        }
        return cases
    }

    /// Strided copies: transposes, slices, inserts and channel shuffles (exact).
    static func copyStridedCases() -> [SelfTestCase] {
        typealias Layout = CopyStridedLauncher.Layout
        let transposes: [(String, [Int], Layout)] = [
            ("NCHW→NHWC [2,16,8,8]", [2, 8, 8, 16], Layout(strides: [1024, 8, 1, 64])),
            ("transpose [33,7]", [7, 33], Layout(strides: [1, 7])),
            ("window [5,13,3] of [7,13,3]", [5, 13, 3], Layout(offset: 39, strides: [39, 3, 1])),
        ]
        var cases: [SelfTestCase] = transposes.map { label, shape, source in
            SelfTestCase(family: "copy-strided", name: label, direction: .forward, tolerance: 0) { bench in
                let count = shape.reduce(1, *)
                let x = bench.floats(source.offset + zip(shape, source.strides).reduce(1) { $0 + ($1.0 - 1) * $1.1 })
                let destination = Layout(strides: shape.indices.map { shape[($0 + 1)...].reduce(1, *) })
                let y = try bench.output(count)
                try CopyStridedLauncher(device: bench.device).encode(into: bench.stream, shape: shape, source: try bench.buffer(x), source,
                                                                     destination: y, destination)
                let expected = CopyStridedOracle.copy(x, source, into: [Float](repeating: 0, count: count), destination, shape: shape)
                return try bench.compare([(y, expected.map(Double.init))])
            }
        }
        for (outer, axis, inner, range) in [(2, 7, 9, 3..<7), (3, 130, 10, 17..<100), (1, 33, 1, 32..<33)] {
            cases.append(SelfTestCase(family: "copy-strided", name: "slice+insert \(range) of [\(outer),\(axis),\(inner)]",
                                      direction: .forward,
                                      tolerance: 0) { bench in
                let copy = try CopyStridedLauncher(device: bench.device)
                let x = bench.floats(outer * axis * inner), background = bench.floats(x.count)
                let sliced = try bench.output(outer * range.count * inner), restored = try bench.buffer(background)
                try copy.encodeSlice(into: bench.stream, input: try bench.buffer(x), output: sliced, outer: outer, axis: axis, inner: inner,
                                     range: range)
                try copy.encodeInsert(into: bench.stream, input: sliced, output: restored, outer: outer, axis: axis, inner: inner,
                                      at: range.lowerBound, count: range.count)
                let slice = CopyStridedOracle.slice(x, outer: outer, axis: axis, inner: inner, range: range)
                let inserted = CopyStridedOracle.insert(slice, into: background, outer: outer, axis: axis, inner: inner,
                                                        at: range.lowerBound)
                return try bench.compare([(sliced, slice.map(Double.init)), (restored, inserted.map(Double.init))])
            })
        }
        for (batch, channels, spatial, groups) in [(2, 24, 49, 2), (1, 12, 7, 3)] {
            cases.append(SelfTestCase(family: "copy-strided", name: "channel shuffle [\(batch),\(channels),\(spatial)] g\(groups)",
                                      direction: .forward, tolerance: 0) { bench in
                let x = bench.floats(batch * channels * spatial), y = try bench.output(x.count)
                try CopyStridedLauncher(device: bench.device).encodeChannelShuffle(into: bench.stream, input: try bench.buffer(x),
                                                                                   output: y,
                                                                                   batch: batch, channels: channels, spatial: spatial,
                                                                                   groups: groups)
                let expected = CopyStridedOracle.shuffle(x, batch: batch, channels: channels, spatial: spatial, groups: groups)
                return try bench.compare([(y, expected.map(Double.init))])
            })
        }
        return cases
    }
}
