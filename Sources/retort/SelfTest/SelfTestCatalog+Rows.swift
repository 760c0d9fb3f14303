import Foundation
import RetortCompute
import RetortOracle

/// The row-wise cases: softmax, softmax-KL, cross-entropy and top-k, on every row mapping.
extension SelfTestCatalog {
    /// Rows × classes: one row, a CIFAR-100 batch, odd sizes and ImageNet's 1000 classes.
    private static let rowShapes = [(1, 1), (7, 10), (64, 100), (33, 1000), (130, 2)]

    /// The launchers' own choice for this device (nil), then every row mapping (a lane, a subgroup or a
    /// workgroup per row) as the unit tests force them.
    private static let mappings: [SoftmaxRowMapping?] = [nil, .invocationPerRow(rowsPerWorkgroup: 16), .subgroupPerRow(rowsPerWorkgroup: 3),
                                                         .workgroupPerRow(lanes: 36)]

    private static func mappingName(_ mapping: SoftmaxRowMapping?) -> String {
        switch mapping {
        case nil: "default"
        case .invocationPerRow: "lane/row"
        case .subgroupPerRow: "subgroup/row"
        case .workgroupPerRow: "workgroup/row"
        }
    }

    /// Softmax and log-softmax at T = 1 and 4, forward and backward.
    static func softmaxCases() -> [SelfTestCase] {
        rowShapes.flatMap { rows, columns in
            mappings.flatMap { mapping in
                [(SoftmaxLauncher.Variant.softmax, Float(1)), (.logSoftmax, 4)].flatMap { variant, temperature in
                    [SelfTestCase.Direction.forward, .backward].map { direction in
                        let name = "\(variant == .softmax ? "softmax" : "log-softmax") T=\(Int(temperature)) \(mappingName(mapping)) "
                            + "[\(rows),\(columns)]"
                        return SelfTestCase(family: "softmax", name: name, direction: direction, tolerance: 1e-4) { bench in
                            let op = try SoftmaxLauncher(device: bench.device, mapping: mapping)
                            let output = try bench.output(rows * columns)
                            let t = Double(temperature)
                            guard direction == .backward else {
                                let x = bench.floats(rows * columns, in: -8...8)
                                try op.encode(into: bench.stream, input: try bench.buffer(x), output: output, rows: rows, columns: columns,
                                              temperature: temperature, variant: variant)
                                return try bench.compare([(output, SoftmaxOracle.forward(x, rows: rows, columns: columns, temperature: t,
                                                                                          variant: variant))])
                            }
                            // A genuine forward output (rounded to fp32) as the saved tensor.
                            let y = SoftmaxOracle.forward(bench.floats(rows * columns, in: -5...5), rows: rows, columns: columns,
                                                          temperature: 1, variant: variant).map(Float.init)
                            let dy = bench.floats(rows * columns, in: -2...2)
                            try op.encodeBackward(into: bench.stream, output: try bench.buffer(y), outputGradient: try bench.buffer(dy),
                                                  inputGradient: output, rows: rows, columns: columns, temperature: temperature,
                                                  variant: variant)
                            return try bench.compare([(output, SoftmaxOracle.backward(y: y, dy: dy, rows: rows, columns: columns,
                                                                                      temperature: t, variant: variant))])
                        }
                    }
                }
            }
        }
    }

    /// KL divergence of softened distributions (forward and reverse, T = 4), loss and student gradient.
    static func softmaxKLCases() -> [SelfTestCase] {
        rowShapes.flatMap { rows, classes in
            mappings.flatMap { mapping in
                [SoftmaxKLLauncher.Direction.forward, .reverse].map { klDirection in
                    let name = "KL \(klDirection == .forward ? "(t‖s)" : "(s‖t)") T=4 \(mappingName(mapping)) [\(rows),\(classes)]"
                    return SelfTestCase(family: "softmax-kl", name: name, direction: .backward, tolerance: 1e-4) { bench in
                        let op = try SoftmaxKLLauncher(device: bench.device, mapping: mapping)
                        let student = bench.floats(rows * classes, in: -6...6), teacher = bench.floats(rows * classes, in: -6...6)
                        let gradient = try bench.output(rows * classes), loss = try bench.output(rows)
                        try op.encode(into: bench.stream, student: try bench.buffer(student), teacher: try bench.buffer(teacher),
                                      studentGradient: gradient, loss: loss, rows: rows, classes: classes, temperature: 4, scale: 16,
                                      direction: klDirection)
                        let expected = SoftmaxKLOracle.lossAndGradient(student: student, teacher: teacher, rows: rows, classes: classes,
                                                                       temperature: 4, scale: 16, direction: klDirection)
                        return try bench.compare([(loss, expected.loss), (gradient, expected.gradient)])
                    }
                }
            }
        }
    }

    /// Cross-entropy with and without label smoothing, loss and gradient.
    static func crossEntropyCases() -> [SelfTestCase] {
        rowShapes.flatMap { rows, classes in
            mappings.flatMap { mapping in
                [Float(0), 0.1].map { smoothing in
                    let name = "CE smoothing \(smoothing) \(mappingName(mapping)) [\(rows),\(classes)]"
                    return SelfTestCase(family: "cross-entropy", name: name, direction: .backward, tolerance: 1e-4) { bench in
                        let op = try CrossEntropyLauncher(device: bench.device, mapping: mapping)
                        let logits = bench.floats(rows * classes, in: -8...8), labels = bench.labels(rows, classes: classes)
                        let gradient = try bench.output(rows * classes), loss = try bench.output(rows)
                        let scale = 1 / Float(rows)
                        try op.encode(into: bench.stream, logits: try bench.buffer(logits), labels: try bench.buffer(labels),
                                      gradient: gradient, loss: loss, rows: rows, classes: classes, labelSmoothing: smoothing, scale: scale)
                        let expected = CrossEntropyOracle.lossAndGradient(logits: logits, labels: labels, rows: rows, classes: classes,
                                                                          smoothing: Double(smoothing), scale: Double(scale))
                        return try bench.compare([(loss, expected.loss), (gradient, expected.gradient)])
                    }
                }
            }
        }
    }

    /// Argmax and top-1/top-5 counts (exact: any difference is an infinite error).
    static func topKCases() -> [SelfTestCase] {
        rowShapes.flatMap { rows, columns in
            [
                SelfTestCase(family: "top-k", name: "argmax [\(rows),\(columns)]", direction: .forward, tolerance: 0) { bench in
                    let x = bench.distinctFloats(rows * columns), output = try bench.device.makeBuffer(byteCount: rows * 4)
                    try TopKLauncher(device: bench.device).encodeArgmax(into: bench.stream, input: try bench.buffer(x), output: output,
                                                                        rows: rows, columns: columns)
                    try bench.run()
                    let expected = (0..<rows).map { TopKOracle.argmax(SoftmaxOracle.row(x, $0, columns)) }
                    return try output.read(UInt32.self, count: rows) == expected ? 0 : .infinity
                },
                SelfTestCase(family: "top-k", name: "top-1/5 correct [\(rows),\(columns)]", direction: .forward, tolerance: 0) { bench in
                    let x = bench.floats(rows * columns), labels = bench.labels(rows, classes: columns)
                    let counts = try bench.device.makeBuffer(byteCount: 8)
                    try TopKLauncher(device: bench.device).encodeTopKCorrect(into: bench.stream, logits: try bench.buffer(x),
                                                                             labels: try bench.buffer(labels), counts: counts,
                                                                             rows: rows, columns: columns)
                    try bench.run()
                    let expected = [1, 5].map {
                        UInt32(TopKOracle.correctCount(x, labels: labels.map(UInt32.init), classes: columns, k: $0))
                    }
                    return try counts.read(UInt32.self, count: 2) == expected ? 0 : .infinity
                },
            ]
        }
    }
}
