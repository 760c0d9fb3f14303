import Foundation
import XCTest
import Retort
import RetortDistill
import RetortTestSupport

/// Double reference of BAKE that inverts `I − ωA` directly (Gaussian elimination with partial
/// pivoting), as `torch.inverse` in the reference code does.
private struct BAKEReference {
    let batch: Int, classes: Int
    let affinity: [[Double]]
    let targets: [[Double]]       // Q
    let probabilities: [[Double]] // softmax(z/T)

    init(features: [Float], dimension: Int, logits: [Float], classes: Int, omega: Double, temperature: Double) {
        let batch = logits.count / classes
        self.batch = batch
        self.classes = classes
        let f: [[Double]] = (0..<batch).map { i in
            let row = (0..<dimension).map { Double(features[i * dimension + $0]) }
            let norm = max(row.map { $0 * $0 }.reduce(0, +).squareRoot(), 1e-12)
            return row.map { $0 / norm }
        }
        let affinity: [[Double]] = (0..<batch).map { i in
            // Self excluded (exp(s − 1e9) is 0): a softmax over the other samples.
            let s = (0..<batch).map { j in zip(f[i], f[j]).map(*).reduce(0, +) }
            let top = (0..<batch).filter { $0 != i }.map { s[$0] }.max() ?? 0
            let e = (0..<batch).map { j in j == i ? 0 : Foundation.exp(s[j] - top) }
            let total = e.reduce(0, +)
            return batch == 1 ? [1] : e.map { $0 / total }
        }
        self.affinity = affinity
        let probabilities = (0..<batch).map { i in softmax((0..<classes).map { Double(logits[i * classes + $0]) / temperature }) }
        // Solve (I − ωA) X = P, then Q = (1 − ω) X.
        var m = (0..<batch).map { i in (0..<batch).map { j in (i == j ? 1 : 0) - omega * affinity[i][j] } }
        self.probabilities = probabilities
        var x = probabilities
        for column in 0..<batch {
            let pivot = (column..<batch).max { abs(m[$0][column]) < abs(m[$1][column]) }!
            m.swapAt(column, pivot)
            x.swapAt(column, pivot)
            for row in 0..<batch where row != column {
                let factor = m[row][column] / m[column][column]
                if factor == 0 { continue }
                for k in 0..<batch { m[row][k] -= factor * m[column][k] }
                for k in 0..<classes { x[row][k] -= factor * x[column][k] }
            }
        }
        targets = (0..<batch).map { i in x[i].map { (1 - omega) * $0 / m[i][i] } }
    }

    /// `T² (1/B) Σ_i Σ_c Q (log Q − log softmax(z/T))` for logits z with the targets held fixed.
    func loss(logits: [Double], temperature: Double) -> Double {
        var total = 0.0
        for i in 0..<batch {
            let logP = logSoftmax((0..<classes).map { logits[i * classes + $0] / temperature })
            for c in 0..<classes where targets[i][c] > 0 { total += targets[i][c] * (Foundation.log(targets[i][c]) - logP[c]) }
        }
        return temperature * temperature * total / Double(batch)
    }
}

private func softmax(_ x: [Double]) -> [Double] {
    let top = x.max()!
    let e = x.map { Foundation.exp($0 - top) }
    let total = e.reduce(0, +)
    return e.map { $0 / total }
}

private func logSoftmax(_ x: [Double]) -> [Double] {
    let top = x.max()!
    let lse = top + Foundation.log(x.map { Foundation.exp($0 - top) }.reduce(0, +))
    return x.map { $0 - lse }
}

final class BatchKnowledgeEnsemblingTests: ContextTestCase {
    private func step(features: Tensor, logits: Tensor, labels: [Int]? = nil) -> DistillationStep {
        DistillationStep(student: FeatureTaps(pooled: features, logits: logits), labels: labels ?? Array(repeating: 0, count: logits.shape[0]))
    }

    private func randomInputs(batch: Int, dimension: Int, classes: Int, seed: UInt64) -> (features: [Float], logits: [Float]) {
        var generator = SplitMix64(seed: seed)
        return (generator.floats(batch * dimension, in: -1...2), generator.floats(batch * classes, in: -4...4))
    }

    func testDefaultsAndName() {
        let loss = BatchKnowledgeEnsembling()
        XCTAssertEqual(loss.propagation, 0.5)
        XCTAssertEqual(loss.temperature, 4)
        XCTAssertEqual(loss.name, "bake")
        XCTAssertEqual(loss.teacherCount, 0...0)
        // ω^n < 1e-7: 0.5^24 ≈ 6.0e-8 < 1e-7 ≤ 0.5^23 ≈ 1.2e-7.
        XCTAssertEqual(loss.iterations, 24)
        XCTAssertEqual(BatchKnowledgeEnsembling(propagation: 0.9).iterations, 153)
    }

    func testTargetsMatchTheDirectInverse() throws {
        for (omega, seed) in [(Float(0.5), UInt64(1)), (0.9, 2), (0.2, 3)] {
            let (batch, dimension, classes) = (7, 5, 4)
            let (features, logits) = randomInputs(batch: batch, dimension: dimension, classes: classes, seed: seed)
            let loss = BatchKnowledgeEnsembling(propagation: omega, temperature: 4)
            let q = try loss.ensembledTargets(features: tensor(features, [batch, dimension]), logits: tensor(logits, [batch, classes])).toArray()
            let reference = BAKEReference(features: features, dimension: dimension, logits: logits, classes: classes,
                                          omega: Double(omega), temperature: 4)
            XCTAssertLessThan(maxRelativeError(q, reference.targets.flatMap { $0 }), 2e-6, "ω = \(omega)")
            for i in 0..<batch {
                let sum = (0..<classes).map { Double(q[i * classes + $0]) }.reduce(0, +)
                XCTAssertEqual(sum, 1, accuracy: 2e-6, "ω = \(omega): row \(i) of Q sums to \(sum)")
            }
        }
    }

    func testTwoSamplesHaveTheClosedForm() throws {
        // B = 2: A = [[0, 1], [1, 0]], (I − ωA)⁻¹ = [[1, ω], [ω, 1]] / (1 − ω²), so
        // Q₀ = (P₀ + ω P₁) / (1 + ω) and Q₁ = (P₁ + ω P₀) / (1 + ω) whatever the features.
        let omega: Float = 0.5
        let logits: [Float] = [2, 0, -1, 0.5, 1, -0.5]
        let q = try BatchKnowledgeEnsembling(propagation: omega, temperature: 1)
            .ensembledTargets(features: tensor([1, 0, 0.3, 2], [2, 2]), logits: tensor(logits, [2, 3])).toArray()
        let p0 = softmax(logits[0..<3].map(Double.init)), p1 = softmax(logits[3..<6].map(Double.init))
        let w = Double(omega)
        let expected = zip(p0, p1).map { ($0 + w * $1) / (1 + w) } + zip(p1, p0).map { ($0 + w * $1) / (1 + w) }
        XCTAssertLessThan(maxRelativeError(q, expected), 1e-6)
    }

    func testIdenticalFeaturesGiveUniformAffinities() throws {
        let batch = 5
        let row: [Float] = [0.3, -1, 2, 0.5]
        let a = try BatchKnowledgeEnsembling().affinity(features: tensor(Array((0..<batch).map { _ in row }.joined()), [batch, 4])).toArray()
        for i in 0..<batch {
            for j in 0..<batch {
                XCTAssertEqual(a[i * batch + j], i == j ? 0 : 1 / Float(batch - 1), accuracy: 1e-6, "A[\(i), \(j)]")
            }
        }
        // Features of different length but the same direction are identical after normalisation.
        let scaled = try BatchKnowledgeEnsembling().affinity(features: tensor(row + row.map { $0 * 3 } + row.map { $0 * 0.1 }, [3, 4])).toArray()
        for i in 0..<3 { for j in 0..<3 { XCTAssertEqual(scaled[i * 3 + j], i == j ? 0 : 0.5, accuracy: 1e-6) } }
    }

    func testAffinityRowsAreSoftmaxOfCosineSimilarity() throws {
        let (batch, dimension) = (6, 3)
        let (features, logits) = randomInputs(batch: batch, dimension: dimension, classes: 2, seed: 9)
        let a = try BatchKnowledgeEnsembling().affinity(features: tensor(features, [batch, dimension])).toArray()
        let reference = BAKEReference(features: features, dimension: dimension, logits: logits, classes: 2, omega: 0.5, temperature: 4)
        XCTAssertLessThan(maxRelativeError(a, reference.affinity.flatMap { $0 }), 1e-6)
    }

    func testValueAndGradientMatchTheReference() throws {
        for temperature in [Float(4), 1] {
            let (batch, dimension, classes) = (6, 4, 5)
            let (features, logits) = randomInputs(batch: batch, dimension: dimension, classes: classes, seed: 4)
            let z = try tensor(logits, [batch, classes], requiresGrad: true)
            let pooled = try tensor(features, [batch, dimension], requiresGrad: true)
            let value = try BatchKnowledgeEnsembling(propagation: 0.5, temperature: temperature).loss(step(features: pooled, logits: z))
            let reference = BAKEReference(features: features, dimension: dimension, logits: logits, classes: classes,
                                          omega: 0.5, temperature: Double(temperature))
            let z64 = logits.map(Double.init)
            let expected = reference.loss(logits: z64, temperature: Double(temperature))
            XCTAssertGreaterThan(expected, 1e-3, "the case must not be trivially 0")
            XCTAssertEqual(Double(try value.item()), expected, accuracy: 1e-5 * max(1, expected), "T = \(temperature)")

            try value.backward()
            let gradient = try XCTUnwrap(z.grad).toArray()
            // Analytic: T² (1/B) · (p − Q) / T, Q held fixed.
            let analytic = (0..<batch * classes).map { k -> Double in
                let (i, c) = (k / classes, k % classes)
                return Double(temperature) / Double(batch) * (reference.probabilities[i][c] - reference.targets[i][c])
            }
            XCTAssertLessThan(maxRelativeError(gradient, analytic), 1e-6, "T = \(temperature)")
            // Central finite differences of the reference with the targets held fixed.
            let h = 1e-5
            let numeric = (0..<batch * classes).map { k -> Double in
                var plus = z64, minus = z64
                plus[k] += h
                minus[k] -= h
                return (reference.loss(logits: plus, temperature: Double(temperature)) - reference.loss(logits: minus, temperature: Double(temperature))) / (2 * h)
            }
            XCTAssertLessThan(maxRelativeError(gradient, numeric), 1e-5, "T = \(temperature)")
            // The targets are detached: the features get no gradient.
            if let featureGradient = pooled.grad { XCTAssertEqual(try featureGradient.toArray(), [Float](repeating: 0, count: features.count)) }
        }
    }

    func testNoPropagationIsSelfKnowledgeAndGivesZero() throws {
        // ω = 0: Q = softmax(z/T) = the student's own prediction, so the divergence and its gradient vanish.
        let (features, logits) = randomInputs(batch: 4, dimension: 3, classes: 6, seed: 5)
        let z = try tensor(logits, [4, 6], requiresGrad: true)
        let value = try BatchKnowledgeEnsembling(propagation: 0, temperature: 4).loss(step(features: tensor(features, [4, 3]), logits: z))
        XCTAssertEqual(try value.item(), 0, accuracy: 1e-5)
        try value.backward()
        for g in try XCTUnwrap(z.grad).toArray() { XCTAssertEqual(g, 0, accuracy: 1e-6) }
    }

    func testFeatureMapsAreFlattened() throws {
        let (features, logits) = randomInputs(batch: 3, dimension: 8, classes: 4, seed: 6)
        let loss = BatchKnowledgeEnsembling()
        let flat = try loss.ensembledTargets(features: tensor(features, [3, 8]), logits: tensor(logits, [3, 4])).toArray()
        let maps = try loss.ensembledTargets(features: tensor(features, [3, 2, 2, 2]), logits: tensor(logits, [3, 4])).toArray()
        XCTAssertEqual(flat, maps)
    }

    func testInvalidSettingsThrow() throws {
        let features = try tensor([1, 2, 3, 4], [2, 2]), logits = try tensor([1, 2, 3, 4], [2, 2])
        for omega in [Float(1), -0.1] {
            XCTAssertThrowsError(try BatchKnowledgeEnsembling(propagation: omega).loss(step(features: features, logits: logits))) { error in
                guard case DistillationError.invalidConfiguration = error else { return XCTFail("\(error)") }
            }
        }
        XCTAssertThrowsError(try BatchKnowledgeEnsembling().loss(step(features: tensor([1, 2, 3], [3, 1]), logits: logits)))
    }
}
