import Foundation
import XCTest
import RetortDistill
import RetortTestSupport

final class SwitchableOnlineKDTests: ContextTestCase {
    // MARK: The switch rule on constructed numbers

    func testExpertWhenTheGapExceedsTheThresholdAndTheTeacherIsBetter() {
        // ε = exp(−0.5 / 2) = 0.7788, δ = 1.5 − 0.7788 · 0.5 = 1.1106.
        let decision = SwitOKDDecision(studentError: 1.5, teacherError: 0.5, gap: 1.2)
        XCTAssertEqual(decision.epsilon, 0.778_800_783, accuracy: 1e-9)
        XCTAssertEqual(decision.threshold, 1.110_599_608, accuracy: 1e-9)
        XCTAssertEqual(decision.mode, .expert)
    }

    func testLearningWhenTheGapIsBelowTheThreshold() {
        XCTAssertEqual(SwitOKDDecision(studentError: 1.5, teacherError: 0.5, gap: 1.0).mode, .learning)
    }

    /// With t_label = 0, ε = 1 and δ = s_label exactly: a gap equal to δ is not above it.
    func testTheBoundaryBelongsToLearning() {
        let atThreshold = SwitOKDDecision(studentError: 1, teacherError: 0, gap: 1)
        XCTAssertEqual(atThreshold.threshold, 1)
        XCTAssertEqual(atThreshold.mode, .learning)
        XCTAssertEqual(SwitOKDDecision(studentError: 1, teacherError: 0, gap: 1.000_001).mode, .expert)
    }

    /// The teacher must be the better network: t_label ≥ s_label means learning, whatever the gap.
    func testLearningWhenTheTeacherIsNotBetter() {
        XCTAssertEqual(SwitOKDDecision(studentError: 1, teacherError: 1, gap: 2).mode, .learning)
        XCTAssertEqual(SwitOKDDecision(studentError: 0.8, teacherError: 1.2, gap: 2).mode, .learning)
        let perfect = SwitOKDDecision(studentError: 0, teacherError: 0, gap: 0)
        XCTAssertEqual(perfect.epsilon, 1)
        XCTAssertEqual(perfect.mode, .learning)
    }

    // MARK: On logits

    /// Teacher: correct with p = 0.7 on both rows. Student: row 0 confidently wrong, row 1 as the
    /// teacher. Second case: a near-uniform student.
    private let labels = [0, 2]
    private let teacher: [Float] = [0.7, 0.1, 0.1, 0.1, 0.1, 0.1, 0.7, 0.1].map { Float(Foundation.log(Double($0))) }
    private let confidentlyWrong: [Float] = [0, 4.2, 0, 0] + [0.1, 0.1, 0.7, 0.1].map { Float(Foundation.log(Double($0))) }
    private let nearUniform: [Float] = [0, 0.1, 0, 0, 0.1, 0, 0, 0]

    /// s_label, t_label and G in Double from the logits.
    private func referenceStatistics(teacher: [Float], student: [Float]) -> (s: Double, t: Double, g: Double) {
        var s = 0.0, t = 0.0, g = 0.0
        for (i, label) in labels.enumerated() {
            let pt = Reference.softmax(Reference.rows(teacher, columns: 4)[i]), ps = Reference.softmax(Reference.rows(student, columns: 4)[i])
            for c in 0..<4 {
                let y = c == label ? 1.0 : 0
                s += abs(ps[c] - y); t += abs(pt[c] - y); g += abs(pt[c] - ps[c])
            }
        }
        let n = Double(labels.count)
        return (s / n, t / n, g / n)
    }

    /// `CE(z_a, y) + (1/B) Σ_i KL(softmax(z_b) ‖ softmax(z_a))` in Double.
    private func referenceLoss(_ a: [Float], from b: [Float]) -> Double {
        var total = 0.0
        for (i, label) in labels.enumerated() {
            let rowA = Reference.rows(a, columns: 4)[i], rowB = Reference.rows(b, columns: 4)[i]
            total += -Reference.logSoftmax(rowA)[label] + Reference.kl(Reference.softmax(rowB), Reference.softmax(rowA))
        }
        return total / Double(labels.count)
    }

    func testStatisticsAreMeasuredOnTheOutputs() throws {
        for student in [confidentlyWrong, nearUniform] {
            let decision = try SwitchableOnlineKD.decision(teacher: try tensor(teacher, [2, 4]), student: try tensor(student, [2, 4]), labels: labels)
            let expected = referenceStatistics(teacher: teacher, student: student)
            XCTAssertEqual(decision.studentError, expected.s, accuracy: 1e-6)
            XCTAssertEqual(decision.teacherError, expected.t, accuracy: 1e-6)
            XCTAssertEqual(decision.gap, expected.g, accuracy: 1e-6)
        }
    }

    /// A confidently wrong student far from a correct teacher: expert mode, the teacher gets no loss
    /// (and no gradient), the student's loss is CE + KL(p_t ‖ p_s).
    func testExpertModeTrainsTheStudentOnly() throws {
        let t = try tensor(teacher, [2, 4], requiresGrad: true), s = try tensor(confidentlyWrong, [2, 4], requiresGrad: true)
        let result = try SwitchableOnlineKD().losses(OnlineStep(logits: [t, s], labels: labels))
        XCTAssertEqual(result.modes, ["expert"])
        XCTAssertNil(result.losses[0], "the teacher pauses")
        let studentLoss = try XCTUnwrap(result.losses[1])
        XCTAssertEqual(Double(try studentLoss.item()), referenceLoss(confidentlyWrong, from: teacher), accuracy: 1e-5)
        try studentLoss.backward()
        XCTAssertNil(t.grad, "the teacher's outputs are detached in the student's loss")
        XCTAssertNotNil(s.grad)
        let expected = referenceStatistics(teacher: teacher, student: confidentlyWrong)
        XCTAssertEqual(result.diagnostics[0]["G"] ?? 0, expected.g, accuracy: 1e-6)
        XCTAssertEqual(result.diagnostics[0]["delta"] ?? 0, expected.s - Foundation.exp(-expected.t / (expected.t + expected.s)) * expected.t, accuracy: 1e-6)
    }

    /// A near-uniform student: learning mode, both networks get CE + KL toward the other.
    func testLearningModeTrainsBoth() throws {
        let result = try SwitchableOnlineKD().losses(OnlineStep(logits: [try tensor(teacher, [2, 4]), try tensor(nearUniform, [2, 4])], labels: labels))
        XCTAssertEqual(result.modes, ["learning"])
        XCTAssertEqual(Double(try XCTUnwrap(result.losses[0]).item()), referenceLoss(teacher, from: nearUniform), accuracy: 1e-5)
        XCTAssertEqual(Double(try XCTUnwrap(result.losses[1]).item()), referenceLoss(nearUniform, from: teacher), accuracy: 1e-5)
    }

    // MARK: Several pairs, one switch each

    /// `CE(z_n, y) + (1/B) Σ_i Σ_{m ∈ peers} KL(softmax(z_m) ‖ softmax(z_n))` in Double.
    private func referenceLoss(_ logits: [[Float]], of n: Int, peers: [Int]) -> Double {
        var total = 0.0
        for (i, label) in labels.enumerated() {
            let row = Reference.rows(logits[n], columns: 4)[i]
            total -= Reference.logSoftmax(row)[label]
            for m in peers { total += Reference.kl(Reference.softmax(Reference.rows(logits[m], columns: 4)[i]), Reference.softmax(row)) }
        }
        return total / Double(labels.count)
    }

    /// `∂L_n/∂z_n = (1/B) [(p_n − y) + Σ_{m ∈ peers} (p_n − p_m)]` in Double, row-major `[B, C]`.
    private func referenceGradient(_ logits: [[Float]], of n: Int, peers: [Int]) -> [Double] {
        labels.enumerated().flatMap { i, label -> [Double] in
            let p = Reference.softmax(Reference.rows(logits[n], columns: 4)[i])
            return (0..<4).map { c in
                var g = p[c] - (c == label ? 1 : 0)
                for m in peers { g += p[c] - Reference.softmax(Reference.rows(logits[m], columns: 4)[i])[c] }
                return g / Double(labels.count)
            }
        }
    }

    /// Runs `topology` on `logits`, checks each network's loss (nil: no step) and its gradient
    /// against the Double reference with the expected peers, and returns the result.
    private func checkLosses(_ topology: SwitOKDTopology, _ logits: [[Float]], peers expected: [[Int]?]) throws -> OnlineLosses {
        func run() throws -> (inputs: [Tensor], result: OnlineLosses) {
            let inputs = try logits.map { try tensor($0, [2, 4], requiresGrad: true) }
            return (inputs, try SwitchableOnlineKD(topology: topology).losses(OnlineStep(logits: inputs, labels: labels)))
        }
        let result = try run().result
        for (n, peers) in expected.enumerated() {
            guard let peers else {
                XCTAssertNil(result.losses[n], "network \(n) pauses")
                continue
            }
            let (inputs, fresh) = try run()   // one backward per run: the other networks' logits must stay without gradient
            let loss = try XCTUnwrap(fresh.losses[n], "network \(n) steps")
            XCTAssertEqual(Double(try loss.item()), referenceLoss(logits, of: n, peers: peers), accuracy: 1e-5, "network \(n)")
            try loss.backward()
            let gradient = try XCTUnwrap(inputs[n].grad, "network \(n)").toArray()
            XCTAssertLessThanOrEqual(maxRelativeError(gradient, referenceGradient(logits, of: n, peers: peers)), 1e-4, "network \(n)")
            for (m, input) in inputs.enumerated() where m != n { XCTAssertNil(input.grad, "network \(n)'s loss reached network \(m)") }
        }
        return result
    }

    /// 1t2s, T with a confidently wrong S1 (pair T→S1 in expert mode) and a near-uniform S2 (T→S2
    /// learning): the teacher steps, learning from S2 only; each student learns from the teacher and
    /// the other student.
    func testOneTeacherTwoStudentsDropsTheExpertPairFromTheTeacher() throws {
        let logits = [teacher, confidentlyWrong, nearUniform]
        let result = try checkLosses(.oneTeacherTwoStudents, logits, peers: [[2], [0, 2], [0, 1]])
        XCTAssertEqual(result.modes, ["expert", "learning"])
        for (pair, student) in [(0, confidentlyWrong), (1, nearUniform)] {
            let expected = referenceStatistics(teacher: teacher, student: student)
            let diagnostics = result.diagnostics[pair]
            XCTAssertEqual(diagnostics["s_label"] ?? 0, expected.s, accuracy: 1e-6, "pair \(pair)")
            XCTAssertEqual(diagnostics["t_label"] ?? 0, expected.t, accuracy: 1e-6, "pair \(pair)")
            XCTAssertEqual(diagnostics["G"] ?? 0, expected.g, accuracy: 1e-6, "pair \(pair)")
            // Each pair's threshold from its own errors.
            XCTAssertEqual(diagnostics["delta"] ?? 0, expected.s - Foundation.exp(-expected.t / (expected.t + expected.s)) * expected.t,
                           accuracy: 1e-6, "pair \(pair)")
        }
    }

    /// 1t2s with both pairs in expert mode: the teacher pauses, the students still learn from everyone.
    func testOneTeacherTwoStudentsPausesTheTeacherWhenBothPairsAreExperts() throws {
        let result = try checkLosses(.oneTeacherTwoStudents, [teacher, confidentlyWrong, confidentlyWrong], peers: [nil, [0, 2], [0, 1]])
        XCTAssertEqual(result.modes, ["expert", "expert"])
    }

    /// 1t2s with both pairs learning: every network gets DML's loss.
    func testOneTeacherTwoStudentsIsMutualLearningWhenBothPairsLearn() throws {
        let result = try checkLosses(.oneTeacherTwoStudents, [teacher, nearUniform, nearUniform], peers: [[1, 2], [0, 2], [0, 1]])
        XCTAssertEqual(result.modes, ["learning", "learning"])
    }

    /// 2t1s, T1 good and S confidently wrong (T1→S expert), T2 near-uniform, worse than S (T2→S
    /// learning): T1 pauses; T2 learns from S and T1; S learns from both teachers.
    func testTwoTeachersOneStudentPausesTheExpertTeacherOnly() throws {
        let logits = [teacher, nearUniform, confidentlyWrong]
        let result = try checkLosses(.twoTeachersOneStudent, logits, peers: [nil, [0, 2], [0, 1]])
        XCTAssertEqual(result.modes, ["expert", "learning"])
        let second = referenceStatistics(teacher: nearUniform, student: confidentlyWrong)
        XCTAssertGreaterThanOrEqual(second.t, second.s, "T2 is not better than S: learning whatever the gap")
        XCTAssertEqual(result.diagnostics[1]["t_label"] ?? 0, second.t, accuracy: 1e-6)
        XCTAssertEqual(result.diagnostics[1]["s_label"] ?? 0, second.s, accuracy: 1e-6)
    }

    /// With one pair the losses are as before: the paused teacher and CE + KL for the student.
    func testOneTeacherOneStudentKeepsItsSingleUnnamedSwitch() throws {
        _ = try checkLosses(.oneTeacherOneStudent, [teacher, confidentlyWrong], peers: [nil, [0]])
        XCTAssertEqual(SwitchableOnlineKD().switchNames(networks: ["t", "s"]), [""])
        XCTAssertEqual(SwitchableOnlineKD(topology: .twoTeachersOneStudent).switchNames(networks: ["a", "b", "c"]), ["a→c", "b→c"])
        XCTAssertEqual(SwitchableOnlineKD(topology: .oneTeacherTwoStudents).switchNames(networks: ["a", "b", "c"]), ["a→b", "a→c"])
    }
}
