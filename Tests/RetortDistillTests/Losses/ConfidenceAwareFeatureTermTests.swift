import Foundation
import XCTest
import Retort
import RetortDistill
import RetortTestSupport

/// A teacher whose head is global average pooling and a linear layer (as a ResNet's): its last stage
/// map is its input.
final class PoolingHeadTeacher: Classifier {
    var isTraining = true
    let fc: Linear

    init(channels: Int, classes: Int, seed: UInt64, context: Context) throws {
        var generator = SplitMix64(seed: seed)
        fc = try Linear(channels, classes, context: context, generator: &generator)
        try freeze()
        eval()
    }

    var entries: [ModuleEntry] { [.child("fc", fc)] }

    func features(_ input: Tensor, preact: Bool) throws -> FeatureTaps {
        let pooled = try input.globalAvgPool2d()
        return FeatureTaps(stages: [input], pooled: pooled, logits: try fc(pooled), pooledMap: input)
    }

    func logits(fromPooled pooled: Tensor) throws -> Tensor { try fc(pooled) }
    func logits(fromLastStage stage: Tensor) throws -> Tensor { try fc(stage.globalAvgPool2d()) }
}

/// CA-MKD's feature term against a Double reference written here from the reference code's forward
/// (resize, conv1×1 – batch-statistics BN – ReLU, the teacher's pool + fc head, confidence weights
/// that carry gradient, per-sample MSE, `/(B·K)`), its gradients against central differences of that
/// reference, and its state's names.
final class ConfidenceAwareFeatureTermTests: ContextTestCase {
    private let batch = 4, classes = 5
    private let studentShape = [3, 4, 4]
    /// Adaptive pooling to a size that does not divide (4 → 3), bilinear upsampling (4 → 6), exact pooling (4 → 2).
    private let allTeacherShapes = [[5, 3, 3], [2, 6, 6], [4, 2, 2]]
    private let labels = [0, 3, 1, 3]

    private struct Problem {
        var term: ConfidenceAwareFeatureTerm
        var teachers: [PoolingHeadTeacher]
        var student: [Float]
        var targets: [[Float]]
    }

    private func problem(teachers count: Int, seed: UInt64) throws -> Problem {
        let shapes = Array(allTeacherShapes.prefix(count))
        let teachers = try shapes.enumerated().map {
            try PoolingHeadTeacher(channels: $1[0], classes: classes, seed: seed + UInt64($0), context: context)
        }
        let term = try ConfidenceAwareFeatureTerm(teachers: teachers, studentShape: studentShape, teacherShapes: shapes, firstEpoch: 0,
                                                  seed: seed, context: context)
        var generator = SplitMix64(seed: seed &+ 100)
        let student = generator.floats(batch * studentShape.reduce(1, *), in: -1...1)
        let targets = shapes.map { generator.floats(batch * $0.reduce(1, *), in: 0...1) }
        return Problem(term: term, teachers: teachers, student: student, targets: targets)
    }

    private func step(_ problem: Problem, student: Tensor, epoch: Int = 0) throws -> DistillationStep {
        let logits = try tensor([Float](repeating: 0, count: batch * classes), [batch, classes])
        let teachers = try zip(problem.targets, problem.term.teacherShapes).map {
            FeatureTaps(stages: [try tensor($0, [batch] + $1)], pooled: logits, logits: logits)
        }
        return DistillationStep(student: FeatureTaps(stages: [student], pooled: logits, logits: logits), teachers: teachers, labels: labels,
                                epoch: epoch)
    }

    // MARK: - The Double reference

    /// One embedding's parameters and its teacher's head, in Double.
    private struct Parameters {
        var conv: [Double], convBias: [Double], gamma: [Double], beta: [Double]
        var fc: [Double], fcBias: [Double]
    }

    private func parameters(_ problem: Problem) throws -> [Parameters] {
        try zip(problem.term.embeddings.embeddings, problem.teachers).map { embedding, teacher in
            let values = try embedding.parameters().map { try $0.toArray().map(Double.init) }
            return Parameters(conv: values[0], convBias: values[1], gamma: values[2], beta: values[3],
                              fc: try teacher.fc.weight.toArray().map(Double.init),
                              fcBias: try XCTUnwrap(teacher.fc.bias).toArray().map(Double.init))
        }
    }

    /// Per-axis resize weights written from PyTorch's definitions.
    private func axisWeights(_ n: Int, _ m: Int, pooling: Bool) -> [[Double]] {
        (0..<m).map { p in
            var row = [Double](repeating: 0, count: n)
            if pooling {
                let start = Int(floor(Double(p * n) / Double(m))), end = Int(ceil(Double((p + 1) * n) / Double(m)))
                for i in start..<end { row[i] = 1 / Double(end - start) }
            } else {
                let source = max(0, (Double(p) + 0.5) * Double(n) / Double(m) - 0.5)
                let i0 = Int(floor(source)), i1 = Swift.min(i0 + 1, n - 1), lambda = source - Double(i0)
                row[i0] += 1 - lambda
                row[i1] += lambda
            }
            return row
        }
    }

    private func referenceLoss(student: [Double], parameters: [Parameters], targets: [[Float]], shapes: [[Int]]) -> Double {
        let (cs, hs, ws) = (studentShape[0], studentShape[1], studentShape[2])
        var crossEntropies: [[Double]] = [], errors: [[Double]] = []
        for (k, shape) in shapes.enumerated() {
            let (ct, ht, wt) = (shape[0], shape[1], shape[2]), p = parameters[k]
            let rows = axisWeights(hs, ht, pooling: hs >= ht), columns = axisWeights(ws, wt, pooling: hs >= ht)
            // resize, then conv1×1 with bias
            var conv = [Double](repeating: 0, count: batch * ct * ht * wt)
            for b in 0..<batch {
                var resized = [Double](repeating: 0, count: cs * ht * wt)
                for c in 0..<cs {
                    for y in 0..<ht {
                        for x in 0..<wt {
                            var total = 0.0
                            for i in 0..<hs {
                                for j in 0..<ws { total += rows[y][i] * columns[x][j] * student[((b * cs + c) * hs + i) * ws + j] }
                            }
                            resized[(c * ht + y) * wt + x] = total
                        }
                    }
                }
                for o in 0..<ct {
                    for position in 0..<(ht * wt) {
                        var total = p.convBias[o]
                        for c in 0..<cs { total += p.conv[o * cs + c] * resized[c * ht * wt + position] }
                        conv[(b * ct + o) * ht * wt + position] = total
                    }
                }
            }
            // batch norm with the batch's statistics (biased variance, eps 1e-5), then ReLU
            var embedded = conv
            for o in 0..<ct {
                let values = (0..<batch).flatMap { b in (0..<(ht * wt)).map { conv[(b * ct + o) * ht * wt + $0] } }
                let mean = values.reduce(0, +) / Double(values.count)
                let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)
                for b in 0..<batch {
                    for position in 0..<(ht * wt) {
                        let index = (b * ct + o) * ht * wt + position
                        embedded[index] = max(0, p.gamma[o] * (conv[index] - mean) / (variance + 1e-5).squareRoot() + p.beta[o])
                    }
                }
            }
            var sampleLosses: [Double] = [], sampleErrors: [Double] = []
            for b in 0..<batch {
                let sample = Array(embedded[(b * ct * ht * wt)..<((b + 1) * ct * ht * wt)])
                let pooled = (0..<ct).map { o in sample[(o * ht * wt)..<((o + 1) * ht * wt)].reduce(0, +) / Double(ht * wt) }
                let logits = (0..<classes).map { c in (0..<ct).reduce(p.fcBias[c]) { $0 + p.fc[c * ct + $1] * pooled[$1] } }
                sampleLosses.append(-Reference.logSoftmax(logits)[labels[b]])
                let target = targets[k][(b * ct * ht * wt)..<((b + 1) * ct * ht * wt)].map(Double.init)
                sampleErrors.append(zip(sample, target).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) / Double(sample.count))
            }
            crossEntropies.append(sampleLosses)
            errors.append(sampleErrors)
        }
        let teachers = shapes.count
        var total = 0.0
        for b in 0..<batch {
            let weights = teachers == 1 ? [1.0]
                : Reference.softmax(crossEntropies.map { $0[b] }).map { (1 - $0) / Double(teachers - 1) }
            for k in 0..<teachers { total += weights[k] * errors[k][b] }
        }
        return total / Double(batch * teachers)
    }

    // MARK: - Tests

    func testValueAndGradientsMatchTheDoubleReferenceWithOneTwoAndThreeTeachers() throws {
        for count in 1...3 {
            let problem = try problem(teachers: count, seed: UInt64(10 * count))
            let student = try tensor(problem.student, [batch] + studentShape, requiresGrad: true)
            let value = try problem.term.loss(step(problem, student: student))
            try value.backward()
            let shapes = problem.term.teacherShapes
            let reference = try parameters(problem)
            let studentValues = problem.student.map(Double.init)
            let expected = referenceLoss(student: studentValues, parameters: reference, targets: problem.targets, shapes: shapes)
            XCTAssertEqual(Double(try value.item()), expected, accuracy: 1e-5 * max(1, abs(expected)), "\(count) teachers")
            XCTAssertGreaterThan(expected, 0)

            // d/d student feature, by central differences of the reference
            let h = 1e-6
            let numeric = studentValues.indices.map { index -> Double in
                var plus = studentValues, minus = studentValues
                plus[index] += h
                minus[index] -= h
                return (referenceLoss(student: plus, parameters: reference, targets: problem.targets, shapes: shapes)
                        - referenceLoss(student: minus, parameters: reference, targets: problem.targets, shapes: shapes)) / (2 * h)
            }
            let analytic = try XCTUnwrap(student.grad, "the student's feature got no gradient").toArray()
            XCTAssertLessThan(maxRelativeError(analytic, numeric), 2e-3, "\(count) teachers: student feature")

            // d/d each embedding's conv weight, conv bias, BN weight and BN bias
            for k in 0..<count {
                let tensors = problem.term.embeddings.embeddings[k].parameters()
                for (which, tensor) in tensors.enumerated() {
                    let analytic = try XCTUnwrap(tensor.grad, "embedding \(k) parameter \(which) got no gradient").toArray()
                    let numeric = analytic.indices.map { index -> Double in
                        func loss(_ delta: Double) -> Double {
                            var shifted = reference
                            switch which {
                            case 0: shifted[k].conv[index] += delta
                            case 1: shifted[k].convBias[index] += delta
                            case 2: shifted[k].gamma[index] += delta
                            default: shifted[k].beta[index] += delta
                            }
                            return referenceLoss(student: studentValues, parameters: shifted, targets: problem.targets, shapes: shapes)
                        }
                        return (loss(h) - loss(-h)) / (2 * h)
                    }
                    XCTAssertLessThan(maxRelativeError(analytic, numeric), 2e-3, "\(count) teachers: embedding \(k) parameter \(which)")
                }
                XCTAssert(problem.teachers[k].parameters().allSatisfy { $0.grad == nil }, "teacher \(k)'s frozen head got a gradient")
            }
        }
    }

    /// The term's own backward, against central differences of the term itself (Float).
    func testStudentGradientMatchesFiniteDifferences() throws {
        let problem = try problem(teachers: 2, seed: 77)
        try checkGradients([(problem.student, [batch] + studentShape)], step: 1e-2, tolerance: 2e-2) { inputs in
            try problem.term.loss(self.step(problem, student: inputs[0]))
        }
    }

    func testTheTermCountsFromItsFirstEpoch() throws {
        let problem = try problem(teachers: 2, seed: 5)
        let shapes = problem.term.teacherShapes
        let late = try ConfidenceAwareFeatureTerm(teachers: problem.teachers, studentShape: studentShape, teacherShapes: shapes,
                                                  context: context)
        XCTAssertEqual(late.firstEpoch, 1)
        let student = try tensor(problem.student, [batch] + studentShape, requiresGrad: true)
        XCTAssertEqual(try late.loss(step(problem, student: student, epoch: 0)).item(), 0)
        XCTAssertGreaterThan(try late.loss(step(problem, student: student, epoch: 1)).item(), 0)
    }

    func testEmbeddingsAreTheStateAndTheParametersWithTheReferenceNames() throws {
        let problem = try problem(teachers: 2, seed: 3)
        let state = try XCTUnwrap(problem.term.state)
        let names = state.namedParameters().map(\.name)
        XCTAssertEqual(names, ["embed0.transfer.0.weight", "embed0.transfer.0.bias", "embed0.transfer.1.weight", "embed0.transfer.1.bias",
                               "embed1.transfer.0.weight", "embed1.transfer.0.bias", "embed1.transfer.1.weight", "embed1.transfer.1.bias"])
        XCTAssertEqual(state.namedBuffers().map(\.name), ["embed0.transfer.1.running_mean", "embed0.transfer.1.running_var",
                                                          "embed1.transfer.1.running_mean", "embed1.transfer.1.running_var"])
        XCTAssertEqual(try state.namedParameters()[0].tensor.shape, [5, 3, 1, 1])
        XCTAssertEqual(problem.term.parameters().count, 8)
        // A weighted loss passes its term's parameters and state through.
        let objective = WeightedLoss([(1, CrossEntropyLoss()), (50, problem.term)])
        XCTAssertEqual(objective.parameters().count, 8)
        XCTAssert(objective.state === problem.term.embeddings)
        XCTAssertEqual(objective.batchCoupledTerm, "camkd-inter", "batch-norm statistics couple the batch")
    }

    func testMismatchedFeatureMapsAreClearErrors() throws {
        let problem = try problem(teachers: 2, seed: 9)
        let wrong = try tensor([Float](repeating: 0, count: batch * 3 * 5 * 5), [batch, 3, 5, 5])
        XCTAssertThrowsError(try problem.term.loss(step(problem, student: wrong))) { error in
            XCTAssert("\(error)".contains("the student's last stage map is [4, 3, 5, 5], expected [4, 3, 4, 4]"), "\(error)")
        }
        XCTAssertThrowsError(try ConfidenceAwareFeatureTerm(teachers: problem.teachers, studentShape: [8],
                                                            teacherShapes: [[5, 3, 3], [2, 6, 6]], context: context)) { error in
            XCTAssert("\(error)".contains("--camkd-inter-weight 0"), "\(error)")
        }
    }
}
