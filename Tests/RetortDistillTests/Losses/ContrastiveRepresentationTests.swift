import Foundation
import XCTest
import Retort
import RetortNN
import RetortDistill
import RetortTestSupport

/// RepDistiller's CRD in Double: embeddings, scores against the memories, Z, NCE, memory update.
private struct CRDReference {
    var studentWeight: [Double], studentBias: [Double], teacherWeight: [Double], teacherBias: [Double]
    var studentMemory: [Double], teacherMemory: [Double]
    let dimension: Int, datasetSize: Int, temperature: Double, momentum: Double

    init(_ crd: ContrastiveRepresentation) throws {
        func read(_ tensor: Tensor?) throws -> [Double] { try XCTUnwrap(tensor).toArray().map(Double.init) }
        studentWeight = try read(crd.studentEmbedding.weight)
        studentBias = try read(crd.studentEmbedding.bias)
        teacherWeight = try read(crd.teacherEmbedding.weight)
        teacherBias = try read(crd.teacherEmbedding.bias)
        studentMemory = try read(crd.studentMemory)
        teacherMemory = try read(crd.teacherMemory)
        dimension = crd.dimension
        datasetSize = crd.datasetSize
        temperature = Double(crd.temperature)
        momentum = Double(crd.momentum)
    }

    /// normalize(W f + b) for each row of f: [B, width]
    func embed(_ features: [Float], weight: [Double], bias: [Double]) -> [[Double]] {
        let width = weight.count / dimension
        return (0..<(features.count / width)).map { i in
            let u = (0..<dimension).map { o in
                bias[o] + (0..<width).reduce(0.0) { $0 + weight[o * width + $1] * Double(features[i * width + $1]) }
            }
            let norm = u.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return u.map { $0 / norm }
        }
    }

    func scores(_ anchors: [[Double]], memory: [Double], contrast: [Int]) -> [[Double]] {
        let columns = contrast.count / anchors.count
        return anchors.enumerated().map { i, v in
            (0..<columns).map { j in
                let r = contrast[i * columns + j]
                return (0..<dimension).reduce(0.0) { $0 + memory[r * dimension + $1] * v[$1] }
            }
        }
    }

    func normalizer(_ scores: [[Double]]) -> Double {
        let all = scores.flatMap { $0 }
        return all.reduce(0) { $0 + exp($1 / temperature) } / Double(all.count) * Double(datasetSize)
    }

    /// NCECriterion: −(1/B)[Σ log(x0/(x0 + mPn + eps)) + Σ log(mPn/(xj + mPn + eps))]
    func nce(_ scores: [[Double]], normalizer z: Double) -> Double {
        let m = Double(scores[0].count - 1), pn = 1 / Double(datasetSize), eps = 1e-7
        var total = 0.0
        for row in scores {
            for (j, s) in row.enumerated() {
                let x = exp(s / temperature) / z
                total += j == 0 ? log(x / (x + m * pn + eps)) : log(m * pn / (x + m * pn + eps))
            }
        }
        return -total / Double(scores.count)
    }

    /// The loss of one step, and the embeddings (for the memory update).
    func loss(student: [Float], teacher: [Float], contrast: [Int], normalizers: (Double, Double)?)
        -> (loss: Double, normalizers: (Double, Double), vs: [[Double]], vt: [[Double]]) {
        let vs = embed(student, weight: studentWeight, bias: studentBias)
        let vt = embed(teacher, weight: teacherWeight, bias: teacherBias)
        let outS = scores(vs, memory: teacherMemory, contrast: contrast)
        let outT = scores(vt, memory: studentMemory, contrast: contrast)
        let z = normalizers ?? (normalizer(outS), normalizer(outT))
        return (nce(outS, normalizer: z.0) + nce(outT, normalizer: z.1), z, vs, vt)
    }

    mutating func update(indices: [Int], vs: [[Double]], vt: [[Double]]) {
        func blend(_ memory: inout [Double], _ values: [[Double]]) {
            for (i, r) in indices.enumerated() {
                let u = (0..<dimension).map { momentum * memory[r * dimension + $0] + (1 - momentum) * values[i][$0] }
                let norm = u.reduce(0) { $0 + $1 * $1 }.squareRoot()
                for d in 0..<dimension { memory[r * dimension + d] = u[d] / norm }
            }
        }
        blend(&studentMemory, vs)
        blend(&teacherMemory, vt)
    }
}

final class ContrastiveRepresentationTests: ContextTestCase {
    private var random = SplitMix64(seed: 99)
    /// N = 20 samples of 4 classes (label = index % 4): 15 candidates of other classes for each.
    private let labels = (0..<20).map { $0 % 4 }

    private func step(student: [Float], studentWidth: Int, teacher: [Float], teacherWidth: Int, indices: [Int],
                      studentGrad: Bool = false) throws -> DistillationStep {
        let batch = indices.count
        let s = FeatureTaps(pooled: try tensor(student, [batch, studentWidth], requiresGrad: studentGrad), logits: try tensor(random.floats(batch * 2), [batch, 2]))
        let t = FeatureTaps(pooled: try tensor(teacher, [batch, teacherWidth]), logits: try tensor(random.floats(batch * 2), [batch, 2]))
        return DistillationStep(student: s, teachers: [t], labels: indices.map { labels.count > $0 ? labels[$0] : 0 }, indices: indices)
    }

    private func tinyLoss(seed: UInt64 = 3) throws -> ContrastiveRepresentation {
        try ContrastiveRepresentation(studentDimension: 6, teacherDimension: 3, labels: labels, dimension: 4, negatives: 5, seed: seed, context: context)
    }

    // MARK: Sampling

    func testNegativesAreDistinctSamplesOfOtherClasses() throws {
        let labels = (0..<300).map { ($0 * 7) % 10 == 3 ? 3 : $0 % 6 }  // uneven classes
        var sampler = try ContrastSampler(labels: labels, negatives: 40, seed: 1)
        XCTAssertEqual(sampler.negatives, 40)
        let samples = [0, 3, 17, 299, 150, 3]
        for _ in 0..<20 {
            let rows = try sampler.draw(for: samples)
            XCTAssertEqual(rows.count, samples.count * 41)
            for (i, sample) in samples.enumerated() {
                let row = rows[(i * 41)..<((i + 1) * 41)]
                XCTAssertEqual(row.first, sample)
                let negatives = row.dropFirst()
                XCTAssertEqual(Set(negatives).count, 40, "negatives repeat")
                XCTAssertTrue(negatives.allSatisfy { labels.indices.contains($0) && labels[$0] != labels[sample] })
            }
        }
    }

    func testNegativesClampAndCoverEveryCandidate() throws {
        // Asking for more negatives than the largest class allows gives all the candidates.
        XCTAssertEqual(ContrastSampler.maximumNegatives(labels: labels), 15)
        var sampler = try ContrastSampler(labels: labels, negatives: ContrastiveRepresentation.defaultNegatives, seed: 2)
        XCTAssertEqual(sampler.negatives, 15)
        let rows = try sampler.draw(for: [6])
        XCTAssertEqual(Set(rows.dropFirst()), Set((0..<20).filter { $0 % 4 != 2 }))
        // Every candidate is drawn about equally often.
        var small = try ContrastSampler(labels: labels, negatives: 3, seed: 4)
        var counts = [Int](repeating: 0, count: 20)
        for _ in 0..<3000 { for n in try small.draw(for: [1]).dropFirst() { counts[n] += 1 } }
        for n in 0..<20 where n % 4 != 1 { XCTAssertEqual(Double(counts[n]), 600, accuracy: 90, "sample \(n)") }
        XCTAssertEqual(counts.enumerated().filter { $0.offset % 4 == 1 }.map(\.element).reduce(0, +), 0)
    }

    func testSamplerIsSeededAndRejectsBadLabels() throws {
        var a = try ContrastSampler(labels: labels, negatives: 5, seed: 8), b = try ContrastSampler(labels: labels, negatives: 5, seed: 8)
        XCTAssertEqual(try a.draw(for: [1, 2, 3]), try b.draw(for: [1, 2, 3]))
        XCTAssertThrowsError(try ContrastSampler(labels: [1, 1, 1], negatives: 5, seed: 0))
        XCTAssertThrowsError(try ContrastSampler(labels: [0, -1], negatives: 1, seed: 0))
        XCTAssertThrowsError(try ContrastSampler(labels: labels, negatives: 0, seed: 0))
        XCTAssertThrowsError(try a.draw(for: [20]))
    }

    // MARK: Loss

    /// N = 20, K = 5, dimension 4: the whole loss against RepDistiller's formula, including Z from
    /// the first batch.
    func testLossMatchesReference() throws {
        let crd = try tinyLoss()
        XCTAssertEqual(crd.negatives, 5)
        let indices = [3, 7, 12, 18]
        var sampler = try ContrastSampler(labels: labels, negatives: 5, seed: 11)
        let contrast = try sampler.draw(for: indices)
        let student = random.floats(4 * 6), teacher = random.floats(4 * 3)
        let reference = try CRDReference(crd)
        XCTAssertNil(try crd.normalizerValues())
        let value = try crd.loss(step(student: student, studentWidth: 6, teacher: teacher, teacherWidth: 3, indices: indices), contrast: contrast).item()
        let expected = reference.loss(student: student, teacher: teacher, contrast: contrast, normalizers: nil)
        XCTAssertEqual(Double(value), expected.loss, accuracy: 1e-5 * max(1, abs(expected.loss)))
        let z = try XCTUnwrap(crd.normalizerValues())
        XCTAssertEqual(Double(z.student), expected.normalizers.0, accuracy: 1e-5 * expected.normalizers.0)
        XCTAssertEqual(Double(z.teacher), expected.normalizers.1, accuracy: 1e-5 * expected.normalizers.1)
    }

    /// Z stays what the first step made it; the memories move toward that step's embeddings.
    func testNormalizersStayFixedAndMemoriesUpdate() throws {
        let crd = try tinyLoss(seed: 21)
        var reference = try CRDReference(crd)
        var sampler = try ContrastSampler(labels: labels, negatives: 5, seed: 12)
        let first = [3, 7, 12, 18], second = [0, 7, 9, 19, 2]
        let s1 = random.floats(4 * 6), t1 = random.floats(4 * 3), s2 = random.floats(5 * 6), t2 = random.floats(5 * 3)
        let c1 = try sampler.draw(for: first), c2 = try sampler.draw(for: second)

        let step1 = try step(student: s1, studentWidth: 6, teacher: t1, teacherWidth: 3, indices: first)
        _ = try crd.loss(step1, contrast: c1).item()
        let z1 = try XCTUnwrap(crd.normalizerValues())
        try crd.update(after: step1)
        let expected1 = reference.loss(student: s1, teacher: t1, contrast: c1, normalizers: nil)
        reference.update(indices: first, vs: expected1.vs, vt: expected1.vt)
        XCTAssertLessThan(maxRelativeError(try crd.studentMemory.toArray(), reference.studentMemory), 1e-5)
        XCTAssertLessThan(maxRelativeError(try crd.teacherMemory.toArray(), reference.teacherMemory), 1e-5)
        // Untouched rows keep their initial values.
        XCTAssertEqual(try crd.studentMemory.toArray()[0..<4].map(Double.init), reference.studentMemory[0..<4].map { $0 })

        let value2 = try crd.loss(step(student: s2, studentWidth: 6, teacher: t2, teacherWidth: 3, indices: second), contrast: c2).item()
        let z2 = try XCTUnwrap(crd.normalizerValues())
        XCTAssertEqual(z2.student, z1.student)
        XCTAssertEqual(z2.teacher, z1.teacher)
        let expected2 = reference.loss(student: s2, teacher: t2, contrast: c2, normalizers: (Double(z1.student), Double(z1.teacher)))
        XCTAssertEqual(Double(value2), expected2.loss, accuracy: 1e-5 * max(1, abs(expected2.loss)))
        // Z from this batch would differ: the test sees whether Z was recomputed.
        let fresh = reference.loss(student: s2, teacher: t2, contrast: c2, normalizers: nil)
        XCTAssertGreaterThan(abs(fresh.loss - expected2.loss), 1e-3)
    }

    /// Everything CRD carries from step to step is in its `state`: a CRD built from another seed and
    /// given the state dict of one that ran k steps (k = 0: Z not fixed yet) computes the next steps
    /// of the straight one bit for bit, negatives included, and ends with the same state.
    func testStateCarriesEverythingTheNextStepsRead() throws {
        let batches = [[3, 7, 12, 18], [0, 7, 9, 19, 2], [5, 6, 1]]
        let steps = try batches.map {
            try step(student: random.floats($0.count * 6), studentWidth: 6, teacher: random.floats($0.count * 3), teacherWidth: 3,
                     indices: $0)
        }
        func run(_ crd: ContrastiveRepresentation, _ steps: ArraySlice<DistillationStep>) throws -> [Float] {
            try steps.map { step in
                let value = try crd.loss(step).item()
                try crd.update(after: step)
                return value
            }
        }
        func values(_ crd: ContrastiveRepresentation) throws -> [String: [Float]] {
            let dict = try XCTUnwrap(crd.state).stateDict()
            return Dictionary(uniqueKeysWithValues: dict.names.map { ($0, dict[$0]!.floats()) })
        }
        let straight = try tinyLoss(seed: 21)
        let expected = try run(straight, steps[...])
        XCTAssertEqual(try XCTUnwrap(straight.state).stateDict().names,
                       ["normalizers_fixed", "sampler_position", "student_head.bias", "student_head.weight", "student_memory",
                        "student_normalizer", "teacher_head.bias", "teacher_head.weight", "teacher_memory", "teacher_normalizer"])
        for done in 0..<steps.count {
            let before = try tinyLoss(seed: 21)
            _ = try run(before, steps.prefix(done))
            let saved = try SafeTensors(data: XCTUnwrap(before.state).stateDict().serialized(), source: "crd state")
            let resumed = try tinyLoss(seed: 40)
            try XCTUnwrap(resumed.state).load(stateDict: saved, source: "crd state")
            XCTAssertEqual(try run(resumed, steps[done...]), Array(expected[done...]), "resumed after \(done) steps")
            XCTAssertEqual(try values(resumed), try values(straight), "resumed after \(done) steps")
        }
    }

    func testDrawnIndicesGiveTheReferenceLoss() throws {
        // The default entry point draws its own negatives; the value must agree with some valid draw:
        // with K = 15 (all candidates) the draw is the same set for every seed.
        let crd = try ContrastiveRepresentation(studentDimension: 6, teacherDimension: 3, labels: labels, dimension: 4, seed: 5, context: context)
        XCTAssertEqual(crd.negatives, 15)
        let indices = [1, 2]
        let student = random.floats(2 * 6), teacher = random.floats(2 * 3)
        let reference = try CRDReference(crd)
        let value = try crd.loss(step(student: student, studentWidth: 6, teacher: teacher, teacherWidth: 3, indices: indices)).item()
        let contrast = indices.flatMap { i in [i] + (0..<20).filter { $0 % 4 != i % 4 } }
        let expected = reference.loss(student: student, teacher: teacher, contrast: contrast, normalizers: nil)
        XCTAssertEqual(Double(value), expected.loss, accuracy: 1e-5 * max(1, abs(expected.loss)))
    }

    /// Realistic shapes: 128-d embeddings (vec4 path), 1000 negatives (chunked backward, many lanes per NCE row).
    func testLargerProblemMatchesReference() throws {
        let labels = (0..<3000).map { $0 % 10 }
        let crd = try ContrastiveRepresentation(studentDimension: 32, teacherDimension: 48, labels: labels, negatives: 1000, seed: 7, context: context)
        XCTAssertEqual(crd.dimension, ContrastiveRepresentation.defaultDimension)
        let indices = [5, 17, 2999, 1234, 0, 640, 77, 8]
        var sampler = try ContrastSampler(labels: labels, negatives: 1000, seed: 13)
        let contrast = try sampler.draw(for: indices)
        let student = random.floats(8 * 32), teacher = random.floats(8 * 48)
        let reference = try CRDReference(crd)
        let step = try self.step(student: student, studentWidth: 32, teacher: teacher, teacherWidth: 48, indices: indices, studentGrad: true)
        let value = try crd.loss(step, contrast: contrast)
        let expected = reference.loss(student: student, teacher: teacher, contrast: contrast, normalizers: nil)
        XCTAssertEqual(Double(try value.item()), expected.loss, accuracy: 1e-5 * max(1, abs(expected.loss)))
        try value.backward()
        XCTAssertTrue(try XCTUnwrap(step.student.pooled.grad).toArray().allSatisfy(\.isFinite))
    }

    func testGradientMatchesFiniteDifferences() throws {
        let crd = try tinyLoss(seed: 31)
        let indices = [0, 5, 10]
        var sampler = try ContrastSampler(labels: labels, negatives: 5, seed: 14)
        let contrast = try sampler.draw(for: indices)
        let teacher = FeatureTaps(pooled: try tensor(random.floats(3 * 3), [3, 3]), logits: try tensor(random.floats(6), [3, 2]))
        try checkGradients([(random.floats(3 * 6), [3, 6])], step: 1e-3, tolerance: 1e-2) { inputs in
            let student = FeatureTaps(pooled: inputs[0], logits: try tensor(random.floats(6), [3, 2]))
            return try crd.loss(DistillationStep(student: student, teachers: [teacher], labels: indices.map { labels[$0] }, indices: indices),
                                contrast: contrast)
        }
    }

    func testHeadsAreTrainedAndTeacherFeaturesAreConstants() throws {
        let crd = try tinyLoss()
        XCTAssertEqual(crd.parameters().count, 4)
        XCTAssertTrue(crd.parameters().allSatisfy(\.requiresGrad))
        let teacherFeature = try tensor(random.floats(2 * 3), [2, 3], requiresGrad: true)
        let student = FeatureTaps(pooled: try tensor(random.floats(2 * 6), [2, 6], requiresGrad: true), logits: try tensor(random.floats(4), [2, 2]))
        let teacher = FeatureTaps(pooled: teacherFeature, logits: try tensor(random.floats(4), [2, 2]))
        try crd.loss(DistillationStep(student: student, teachers: [teacher], labels: [1, 2], indices: [1, 2])).backward()
        XCTAssertNil(teacherFeature.grad)
        XCTAssertNotNil(student.pooled.grad)
        for parameter in crd.parameters() {
            let gradient = try XCTUnwrap(parameter.grad).toArray()
            XCTAssertTrue(gradient.contains { $0 != 0 } && gradient.allSatisfy(\.isFinite))
        }
    }

    func testErrors() throws {
        let crd = try tinyLoss()
        XCTAssertEqual(crd.name, "crd")
        XCTAssertEqual(crd.teacherCount, 1...1)
        let good = try step(student: random.floats(12), studentWidth: 6, teacher: random.floats(6), teacherWidth: 3, indices: [0, 1])
        XCTAssertThrowsError(try crd.loss(DistillationStep(student: good.student, labels: [0, 1], indices: [0, 1]))) { error in
            XCTAssertEqual(error as? DistillationError, .missingTeacher(loss: "crd"))
        }
        // Feature sizes other than the heads', indices outside the dataset.
        XCTAssertThrowsError(try crd.loss(step(student: random.floats(10), studentWidth: 5, teacher: random.floats(6), teacherWidth: 3, indices: [0, 1])))
        XCTAssertThrowsError(try crd.loss(step(student: random.floats(12), studentWidth: 6, teacher: random.floats(6), teacherWidth: 3, indices: [0, 20])))
        // update(after:) must follow the loss of the same batch.
        _ = try crd.loss(good)
        let other = try step(student: random.floats(12), studentWidth: 6, teacher: random.floats(6), teacherWidth: 3, indices: [2, 3])
        XCTAssertThrowsError(try crd.update(after: other))
        XCTAssertNoThrow(try crd.update(after: good))
        XCTAssertThrowsError(try ContrastiveRepresentation(studentDimension: 6, teacherDimension: 3, labels: labels, temperature: 0, context: context))
    }
}
