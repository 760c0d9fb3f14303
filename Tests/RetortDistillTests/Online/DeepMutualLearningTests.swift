import Foundation
import XCTest
import RetortDistill
import RetortTestSupport

final class DeepMutualLearningTests: ContextTestCase {
    /// `L_k = CE(z_k, y) + Σ_{l≠k} (1/B) Σ_i KL(p_l,i ‖ p_k,i)` in Double.
    static func reference(_ logits: [[Float]], labels: [Int], classes: Int) -> [Double] {
        let rows = logits.map { Reference.rows($0, columns: classes) }
        return rows.indices.map { k in
            var total = 0.0
            for (i, label) in labels.enumerated() {
                total -= Reference.logSoftmax(rows[k][i])[label]
                for l in rows.indices where l != k {
                    total += Reference.kl(Reference.softmax(rows[l][i]), Reference.softmax(rows[k][i]))
                }
            }
            return total / Double(labels.count)
        }
    }

    /// Three networks: each loss is its CE plus the KL to both peers, summed over peers.
    func testLossesMatchTheReferenceSummedOverPeers() throws {
        let labels = [0, 3, 1, 4, 2]
        let logits = (0..<3).map { randomLogits(5, 5, seed: 10 + UInt64($0)) }   // B = C: row and column broadcasts look alike
        let step = OnlineStep(logits: try logits.map { try tensor($0, [5, 5]) }, labels: labels)
        let losses = try DeepMutualLearning().losses(step)
        let values = try losses.losses.map { try XCTUnwrap($0).item() }
        let expected = Self.reference(logits, labels: labels, classes: 5)
        XCTAssertLessThanOrEqual(maxRelativeError(values, expected), 1e-5, "\(values) vs \(expected)")
        XCTAssertEqual(losses.modes, [], "DML has no modes: every network steps")
    }

    /// Network k's loss sends gradient to network k only: its backward leaves the peers' logits
    /// and parameters without gradient.
    func testGradientsReachOnlyTheirOwnNetwork() throws {
        let labels = [1, 0, 2, 3]
        let models = try (0..<2).map { try ModelZoo.make("plane2", inputChannels: 1, inputSize: 8, classes: 4, context: context, seed: UInt64($0)) }
        var generator = SplitMix64(seed: 7)
        let x = try tensor(generator.floats(4 * 64, in: -1...1), [4, 1, 8, 8])
        for k in 0..<2 {
            for model in models { for parameter in model.parameters() { try parameter.zeroGrad() } }
            let logits = try models.map { try $0(x) }
            try DeepMutualLearning().loss(of: k, OnlineStep(logits: logits, labels: labels)).backward()
            for (l, model) in models.enumerated() {
                let gradients = try model.parameters().map { try $0.grad?.toArray() ?? [] }
                let largest = gradients.flatMap { $0 }.map(abs).max() ?? 0
                if l == k {
                    XCTAssertGreaterThan(largest, 0, "network \(k)'s loss trains network \(k)")
                } else {
                    XCTAssertEqual(largest, 0, "network \(k)'s loss gave peer \(l) a gradient")
                }
            }
        }
        // On logits: the peer's logits tensor receives nothing.
        let a = try tensor(randomLogits(4, 4, seed: 1), [4, 4], requiresGrad: true)
        let b = try tensor(randomLogits(4, 4, seed: 2), [4, 4], requiresGrad: true)
        try DeepMutualLearning().loss(of: 0, OnlineStep(logits: [a, b], labels: labels)).backward()
        XCTAssertNotNil(a.grad)
        XCTAssertNil(b.grad, "the peer is detached")
    }

    /// Finite differences of network 0's loss with respect to its logits (peers fixed), against
    /// backward, and the analytic gradient `(softmax(z_k) − y)/B + Σ_l (p_k − p_l)/B`.
    func testGradientOfOneNetworkMatchesFiniteDifferences() throws {
        let labels = [2, 0, 1]
        let peers = [randomLogits(3, 4, seed: 21), randomLogits(3, 4, seed: 22)]
        let own = randomLogits(3, 4, seed: 20)
        try checkGradients([(own, [3, 4])], tolerance: 2e-3) { inputs in
            try DeepMutualLearning().loss(of: 0, OnlineStep(logits: [inputs[0]] + peers.map { try tensor($0, [3, 4]) }, labels: labels))
        }
        let z = try tensor(own, [3, 4], requiresGrad: true)
        try DeepMutualLearning().loss(of: 0, OnlineStep(logits: [z] + peers.map { try tensor($0, [3, 4]) }, labels: labels)).backward()
        var expected: [Double] = []
        for (i, label) in labels.enumerated() {
            let p = Reference.softmax(Reference.rows(own, columns: 4)[i])
            let q = peers.map { Reference.softmax(Reference.rows($0, columns: 4)[i]) }
            for c in 0..<4 {
                expected.append(((p[c] - (c == label ? 1 : 0)) + q.reduce(0) { $0 + p[c] - $1[c] }) / 3)
            }
        }
        XCTAssertLessThanOrEqual(maxRelativeError(try XCTUnwrap(z.grad).toArray(), expected), 1e-5)
    }
}
