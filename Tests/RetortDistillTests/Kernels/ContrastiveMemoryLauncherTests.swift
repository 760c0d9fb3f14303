import Foundation
import XCTest
import Retort
import RetortCompute
import RetortDistill
import RetortTestSupport

/// The CRD memory-bank ops and kernels (scores, their backward, NCE, momentum update) against
/// Double references on the host.
final class ContrastiveMemoryLauncherTests: ContextTestCase {
    private var random = SplitMix64(seed: 5)

    private func randomIndices(_ count: Int, below bound: Int) -> [Int] {
        (0..<count).map { _ in Int.random(in: 0..<bound, using: &random) }
    }

    func testScoresAndTheirBackwardMatchReference() throws {
        // D = 8 takes the vec4 path, D = 6 the scalar one; 300 columns need two backward chunks.
        for (dimension, columns) in [(8, 300), (6, 300), (4, 5), (3, 1)] {
            let (rows, bankRows) = (3, 37)
            let bank = random.floats(bankRows * dimension), anchors = random.floats(rows * dimension)
            let indices = randomIndices(rows * columns, below: bankRows)
            let upstream = random.floats(rows * columns)
            let v = try tensor(anchors, [rows, dimension], requiresGrad: true)
            let scores = try v.dotProducts(withRowsOf: tensor(bank, [bankRows, dimension]),
                                           at: RowIndices(indices, rows: rows, columns: columns, context: context))
            XCTAssertEqual(scores.shape, [rows, columns])
            let expected = ContrastiveMemoryOracle.scores(bank: bank, anchors: anchors, indices: indices, rows: rows, dimension: dimension)
            XCTAssertLessThan(maxRelativeError(try scores.toArray(), expected), 1e-5, "D = \(dimension)")

            try (scores * tensor(upstream, [rows, columns])).sum().backward()
            let gradient = ContrastiveMemoryOracle.scoresBackward(bank: bank, scoreGradient: upstream, indices: indices, rows: rows,
                                                                  dimension: dimension)
            XCTAssertLessThan(maxRelativeError(try XCTUnwrap(v.grad).toArray(), gradient), 1e-4, "D = \(dimension)")
        }
    }

    func testScoresGradientMatchesFiniteDifferences() throws {
        let bank = try tensor(random.floats(10 * 4), [10, 4])
        let indices = try RowIndices(randomIndices(2 * 7, below: 10), rows: 2, columns: 7, context: context)
        let weights = try tensor(random.floats(14), [2, 7])
        try checkGradients([(random.floats(8), [2, 4])]) { t in
            try (t[0].dotProducts(withRowsOf: bank, at: indices).squared() * weights).sum()
        }
    }

    func testScoresRejectBadInputs() throws {
        let bank = try tensor(random.floats(5 * 4), [5, 4])
        let v = try tensor(random.floats(8), [2, 4])
        XCTAssertThrowsError(try v.dotProducts(withRowsOf: bank, at: RowIndices([0, 1, 5, 2], rows: 2, columns: 2, context: context)))
        XCTAssertThrowsError(try v.dotProducts(withRowsOf: bank, at: RowIndices([0, 1, 2], rows: 3, columns: 1, context: context)))
        XCTAssertThrowsError(try v.dotProducts(withRowsOf: tensor(random.floats(15), [5, 3]), at: RowIndices([0, 1], rows: 2, columns: 1, context: context)))
        let trainable = try tensor(random.floats(20), [5, 4], requiresGrad: true)
        XCTAssertThrowsError(try v.dotProducts(withRowsOf: trainable, at: RowIndices([0, 1], rows: 2, columns: 1, context: context)))
        XCTAssertThrowsError(try RowIndices([0, -1], rows: 2, columns: 1, context: context))
    }

    func testNCELossMatchesReference() throws {
        // Unit-vector-sized scores, a realistic temperature, and a long row (several lanes per row).
        for (rows, columns, datasetSize, temperature) in [(4, 6, 20, 0.07), (3, 1000, 5000, 0.07), (2, 2, 3, 1.0)] {
            let scores = random.floats(rows * columns)
            let z = Double(Float.random(in: 0.5...4, using: &random)) * Double(datasetSize)
            let value = try tensor(scores, [rows, columns]).nceLoss(normalizer: tensor([Float(z)], [1]), temperature: Float(temperature),
                                                                   datasetSize: datasetSize).item()
            let expected = ContrastiveMemoryOracle.nce(scores: scores, rows: rows, normalizer: Double(Float(z)), temperature: temperature,
                                                       noise: Double(columns - 1) / Double(datasetSize), scale: 1 / Double(rows)).loss
                .reduce(0, +)
            XCTAssertEqual(Double(value), expected, accuracy: 1e-5 * max(1, abs(expected)), "[\(rows), \(columns)]")
        }
    }

    func testNCEGradientMatchesFiniteDifferences() throws {
        let normalizer = try tensor([30], [1])
        try checkGradients([(random.floats(3 * 5, in: -1...1), [3, 5])], step: 1e-3, tolerance: 1e-2) { t in
            try t[0].nceLoss(normalizer: normalizer, temperature: 0.2, datasetSize: 20)
        }
    }

    func testNCEGradientMatchesAnalyticReference() throws {
        let (rows, columns, datasetSize, temperature, z) = (3, 700, 2000, 0.07, 1234.5)
        let values = random.floats(rows * columns)
        let scores = try tensor(values, [rows, columns], requiresGrad: true)
        try scores.nceLoss(normalizer: tensor([Float(z)], [1]), temperature: Float(temperature), datasetSize: datasetSize).backward()
        let expected = ContrastiveMemoryOracle.nce(scores: values, rows: rows, normalizer: z, temperature: temperature,
                                                   noise: Double(columns - 1) / Double(datasetSize), scale: 1 / Double(rows)).gradient
        XCTAssertLessThan(maxRelativeError(try XCTUnwrap(scores.grad).toArray(), expected), 1e-5)
    }

    func testMemoryUpdateMatchesReference() throws {
        for dimension in [4, 5] {
            let (bankRows, momentum) = (12, Float(0.5))
            let bankValues = random.floats(bankRows * dimension), values = random.floats(3 * dimension)
            let rows = [7, 0, 11]
            let bank = try tensor(bankValues, [bankRows, dimension])
            try bank.updateRows(at: rows, toward: tensor(values, [3, dimension]), momentum: momentum)
            let expected = ContrastiveMemoryOracle.update(bank: bankValues, values: values, indices: rows, dimension: dimension,
                                                          momentum: Double(momentum))
            XCTAssertLessThan(maxRelativeError(try bank.toArray(), expected), 1e-6, "D = \(dimension)")
        }
    }

    func testMemoryUpdateRejectsRepeatedRowsAndTrainableBanks() throws {
        let bank = try tensor(random.floats(16), [4, 4])
        let values = try tensor(random.floats(8), [2, 4])
        XCTAssertThrowsError(try bank.updateRows(at: [1, 1], toward: values, momentum: 0.5))
        XCTAssertThrowsError(try bank.updateRows(at: [1, 4], toward: values, momentum: 0.5))
        XCTAssertThrowsError(try tensor(random.floats(16), [4, 4], requiresGrad: true).updateRows(at: [0, 1], toward: values, momentum: 0.5))
    }

    /// The launcher on its own: the same results as the reference with the bank in a raw buffer.
    func testKernelsRunFromTheLauncher() throws {
        let memory = try ContrastiveMemoryLauncher(device: context.device)
        let (rows, columns, dimension, bankRows) = (2, 3, 4, 6)
        let bank = random.floats(bankRows * dimension), anchors = random.floats(rows * dimension)
        let indices = randomIndices(rows * columns, below: bankRows)
        let device = context.device
        let bankBuffer = try device.makeBuffer(bank), anchorBuffer = try device.makeBuffer(anchors)
        let indexBuffer = try device.makeBuffer(indices.map { UInt32($0) })
        let scoreBuffer = try device.makeBuffer(byteCount: rows * columns * 4)
        try memory.encodeScores(into: context.stream, bank: bankBuffer, anchors: anchorBuffer, indices: indexBuffer, scores: scoreBuffer,
                                rows: rows, columns: columns, dimension: dimension, bankRows: bankRows)
        try context.synchronize()
        let expected = ContrastiveMemoryOracle.scores(bank: bank, anchors: anchors, indices: indices, rows: rows, dimension: dimension)
        XCTAssertLessThan(maxRelativeError(try scoreBuffer.read(Float.self, count: rows * columns), expected), 1e-5)
        XCTAssertThrowsError(try memory.encodeNCE(into: context.stream, scores: scoreBuffer, normalizer: bankBuffer, scoreGradient: scoreBuffer,
                                                  loss: anchorBuffer, rows: rows, columns: columns, temperature: 0, noise: 0.1,
                                                  epsilon: 1e-7, scale: 1))
    }
}
