import Foundation
import XCTest
import Retort
import RetortDistill
import RetortTestSupport

/// The contrastive-memory ops: scores against the host and finite differences, the NCE loss against
/// RepDistiller's formula, and the momentum update of the bank's rows against the host.
final class ContrastiveMemoryTests: ContextTestCase {
    private var random = SplitMix64(seed: 61)

    func testScoresMatchTheHostAndFiniteDifferences() throws {
        let (rows, columns, dimension, bankRows) = (2, 3, 4, 5)
        let bank = random.floats(bankRows * dimension), anchors = random.floats(rows * dimension)
        let indices = [4, 0, 2, 1, 1, 3]
        let expected = (0..<(rows * columns)).map { at in
            (0..<dimension).reduce(0.0) { $0 + Double(bank[indices[at] * dimension + $1]) * Double(anchors[at / columns * dimension + $1]) }
        }
        let rowIndices = try RowIndices(indices, rows: rows, columns: columns, context: context)
        let scores = try tensor(anchors, [rows, dimension]).dotProducts(withRowsOf: tensor(bank, [bankRows, dimension]), at: rowIndices)
        XCTAssertLessThan(maxRelativeError(try scores.toArray(), expected), 1e-5)
        try checkGradients([(anchors, [rows, dimension])]) { t in
            let memory = try Tensor(bank, shape: [bankRows, dimension], context: t[0].context)
            return try weightedSum(try t[0].dotProducts(withRowsOf: memory, at: rowIndices), seed: 62)
        }
        let trainableBank = try tensor(bank, [bankRows, dimension], requiresGrad: true)
        XCTAssertThrowsError(try tensor(anchors, [rows, dimension]).dotProducts(withRowsOf: trainableBank, at: rowIndices)) {
            XCTAssert("\($0)".contains("the memory bank is a constant"), "\($0)")
        }
    }

    func testNCELossMatchesTheHostAndFiniteDifferences() throws {
        let (rows, columns, datasetSize, temperature, normalizer) = (3, 4, 50, 0.5, 2.5)
        let scores = random.floats(rows * columns, in: -1...1)
        let noise = Double(columns - 1) / Double(datasetSize), epsilon = 1e-7
        var total = 0.0
        for (at, score) in scores.enumerated() {
            let x = Foundation.exp(Double(score) / temperature) / normalizer
            total += at % columns == 0 ? Foundation.log(x / (x + noise + epsilon)) : Foundation.log(noise / (x + noise + epsilon))
        }
        let z = try tensor([Float(normalizer)], [1])
        let loss = try tensor(scores, [rows, columns]).nceLoss(normalizer: z, temperature: Float(temperature), datasetSize: datasetSize)
        XCTAssertEqual(Double(try loss.item()), -total / Double(rows), accuracy: 1e-4)
        try checkGradients([(scores, [rows, columns])]) { t in
            try t[0].nceLoss(normalizer: Tensor([Float(normalizer)], shape: [1], context: t[0].context), temperature: Float(temperature),
                             datasetSize: datasetSize)
        }
    }

    func testUpdateRowsMatchesTheHost() throws {
        let (dimension, bankRows, momentum) = (3, 4, Float(0.25))
        let bank = random.floats(bankRows * dimension), values = random.floats(2 * dimension)
        let indices = [3, 1]
        var expected = bank.map(Double.init)
        for (i, row) in indices.enumerated() {
            let u = (0..<dimension).map {
                Double(momentum) * Double(bank[row * dimension + $0]) + Double(1 - momentum) * Double(values[i * dimension + $0])
            }
            let norm = max(u.map { $0 * $0 }.reduce(0, +).squareRoot(), 1e-12)
            for d in 0..<dimension { expected[row * dimension + d] = u[d] / norm }
        }
        let memory = try tensor(bank, [bankRows, dimension])
        try memory.updateRows(at: indices, toward: tensor(values, [2, dimension]), momentum: momentum)
        XCTAssertLessThan(maxRelativeError(try memory.toArray(), expected), 1e-5)
        XCTAssertThrowsError(try memory.updateRows(at: [1, 1], toward: tensor(values, [2, dimension]), momentum: momentum)) {
            XCTAssert("\($0)".contains("distinct row indices"), "\($0)")
        }
    }
}
