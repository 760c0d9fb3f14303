import RetortCompute
import RetortDistill
import RetortOracle

/// The distillation-only kernels (RetortDistill's `DistillationShader`): CRD's memory bank and Zipf's
/// targets and votes.
extension SelfTestCatalog {
    /// CRD memory scores and their backward (vec4 and scalar rows, several backward chunks), the NCE loss
    /// and gradient, the momentum update; Zipf targets, position rows (plain and ×2 bilinear) and votes.
    static func distillationCases() -> [SelfTestCase] {
        var cases: [SelfTestCase] = []
        for (rows, columns, dimension, bankRows) in [(3, 300, 8, 37), (2, 5, 6, 11), (4, 1, 3, 5), (16, 257, 128, 600)] {
            let shape = "[\(rows),\(columns)] D=\(dimension)"
            for direction in [SelfTestCase.Direction.forward, .backward] {
                // The unit tests' tolerances: 1e-5 for the scores, 1e-4 for their gradient.
                cases.append(SelfTestCase(family: "distill", name: "CRD scores \(shape)", direction: direction,
                                          tolerance: direction == .forward ? 1e-5 : 1e-4) { bench in
                    try contrastiveScores(bench, rows: rows, columns: columns, dimension: dimension, bankRows: bankRows,
                                          backward: direction == .backward)
                })
            }
        }
        for (rows, columns, datasetSize) in [(4, 6, 20), (3, 1000, 5000), (2, 2, 3)] {
            cases.append(SelfTestCase(family: "distill", name: "CRD NCE [\(rows),\(columns)] of \(datasetSize)", direction: .backward,
                                      tolerance: 1e-5) { bench in
                let memory = try ContrastiveMemoryLauncher(device: bench.device)
                let scores = bench.floats(rows * columns), z = Float(2 * datasetSize)
                let noise = Float(columns - 1) / Float(datasetSize)
                let gradient = try bench.output(rows * columns), loss = try bench.output(rows)
                try memory.encodeNCE(into: bench.stream, scores: try bench.buffer(scores), normalizer: try bench.buffer([z]),
                                     scoreGradient: gradient, loss: loss, rows: rows, columns: columns, temperature: 0.07, noise: noise,
                                     epsilon: 1e-7, scale: 1 / Float(rows))
                let expected = ContrastiveMemoryOracle.nce(scores: scores, rows: rows, normalizer: Double(z),
                                                           temperature: Double(Float(0.07)), noise: Double(noise),
                                                           epsilon: Double(Float(1e-7)), scale: Double(1 / Float(rows)))
                return try bench.compare([(loss, expected.loss), (gradient, expected.gradient)])
            })
        }
        for dimension in [4, 5, 128] {
            cases.append(SelfTestCase(family: "distill", name: "CRD memory update D=\(dimension)", direction: .step,
                                      tolerance: 1e-6) { bench in
                let (bankRows, indices) = (12, [7, 0, 11])
                let bank = bench.floats(bankRows * dimension), values = bench.floats(indices.count * dimension)
                let bankBuffer = try bench.buffer(bank)
                let memory = try ContrastiveMemoryLauncher(device: bench.device)
                try memory.encodeUpdate(into: bench.stream, bank: bankBuffer, values: try bench.buffer(values),
                                        indices: try bench.buffer(indices.map(UInt32.init)), rows: indices.count, dimension: dimension,
                                        bankRows: bankRows, momentum: 0.5)
                let expected = ContrastiveMemoryOracle.update(bank: bank, values: values, indices: indices, dimension: dimension,
                                                              momentum: 0.5)
                return try bench.compare([(bankBuffer, expected)])
            })
        }
        return cases + zipfCases()
    }

    private static func contrastiveScores(_ bench: SelfTestBench, rows: Int, columns: Int, dimension: Int, bankRows: Int,
                                          backward: Bool) throws -> Double {
        let memory = try ContrastiveMemoryLauncher(device: bench.device)
        let bank = bench.floats(bankRows * dimension), indices = bench.labels(rows * columns, classes: bankRows).map(Int.init)
        let (bankBuffer, indexBuffer) = (try bench.buffer(bank), try bench.buffer(indices.map(UInt32.init)))
        guard backward else {
            let anchors = bench.floats(rows * dimension), scores = try bench.output(rows * columns)
            try memory.encodeScores(into: bench.stream, bank: bankBuffer, anchors: try bench.buffer(anchors), indices: indexBuffer,
                                    scores: scores, rows: rows, columns: columns, dimension: dimension, bankRows: bankRows)
            return try bench.compare([(scores, ContrastiveMemoryOracle.scores(bank: bank, anchors: anchors, indices: indices, rows: rows,
                                                                              dimension: dimension))])
        }
        let upstream = bench.floats(rows * columns), gradient = try bench.output(rows * dimension)
        try memory.encodeScoresBackward(into: bench.stream, bank: bankBuffer, scoreGradient: try bench.buffer(upstream),
                                        indices: indexBuffer,
                                        anchorGradient: gradient, rows: rows, columns: columns, dimension: dimension, bankRows: bankRows)
        return try bench.compare([(gradient, ContrastiveMemoryOracle.scoresBackward(bank: bank, scoreGradient: upstream, indices: indices,
                                                                                   rows: rows, dimension: dimension))])
    }

    /// Zipf targets (ties included: scores drawn from a few values), position rows and votes.
    private static func zipfCases() -> [SelfTestCase] {
        var cases: [SelfTestCase] = [(3, 5), (64, 100), (7, 1000)].map { rows, classes in
            SelfTestCase(family: "distill", name: "Zipf targets [\(rows),\(classes)]", direction: .forward, tolerance: 1e-6) { bench in
                let scores = bench.floats(rows * classes).map { ($0 * 4).rounded() }, labels = bench.labels(rows, classes: classes)
                let distribution = try bench.output(rows * classes), correct = try bench.output(rows)
                try ZipfTargetsLauncher(device: bench.device).encode(into: bench.stream, scores: try bench.buffer(scores),
                                                                     labels: try bench.buffer(labels), distribution: distribution,
                                                                     correct: correct, rows: rows, classes: classes, power: 1.5)
                let expected = ZipfOracle.targets(scores: scores, labels: labels.map(Int.init), classes: classes, power: 1.5)
                return try bench.compare([(distribution, expected.distribution), (correct, expected.correct)])
            }
        }
        for (shape, upsampled) in [([2, 3, 4, 5], false), ([2, 3, 4, 5], true), ([3, 64, 8, 8], true)] {
            cases.append(SelfTestCase(family: "distill", name: "Zipf positions \(shape)\(upsampled ? " ×2" : "")", direction: .forward,
                                      tolerance: 1e-6) { bench in
                let map = bench.floats(shape.reduce(1, *)), scale = upsampled ? 4 : 1
                let rows = try bench.output(map.count * scale)
                try ZipfVotesLauncher(device: bench.device).encodePositions(into: bench.stream, map: try bench.buffer(map), rows: rows,
                                                                            batch: shape[0], channels: shape[1], height: shape[2],
                                                                            width: shape[3], upsampled: upsampled)
                return try bench.compare([(rows, ZipfOracle.positions(map, shape, upsampled: upsampled).flatMap { $0 })])
            })
        }
        for (samples, positions, classes) in [(5, 16, 10), (3, 256, 100), (1, 1, 2)] {
            cases.append(SelfTestCase(family: "distill", name: "Zipf votes \(samples)×\(positions) of \(classes)", direction: .forward,
                                      tolerance: 0) { bench in
                let logits = bench.distinctFloats(samples * positions * classes), votes = try bench.output(samples * classes)
                try ZipfVotesLauncher(device: bench.device).encodeVotes(into: bench.stream, logits: try bench.buffer(logits), votes: votes,
                                                                        samples: samples, positions: positions, classes: classes)
                let rows = (0..<(samples * positions)).map { r in logits[r * classes..<(r + 1) * classes].map(Double.init) }
                return try bench.compare([(votes, ZipfOracle.votes(rows, samples: samples).flatMap { $0 })])
            })
        }
        return cases
    }
}
