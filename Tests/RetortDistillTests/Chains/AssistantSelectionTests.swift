import Foundation
import XCTest
import RetortDistill
import RetortTestSupport

/// `--assistants auto` on the zoo's real parameter counts; the expected choice is computed here from
/// the counts (the geometric mean and log distances), and the counts are checked against TAKD's table.
final class AssistantSelectionTests: ContextTestCase {
    private func counter(channels: Int, size: Int, classes: Int) -> (String) throws -> Int {
        { name in try ModelZoo.make(name, inputChannels: channels, inputSize: size, classes: classes, context: self.context).parameterCount }
    }

    /// The member closest to √(P_t·P_s) by |log P − log √(P_t·P_s)|, among those strictly between.
    private func expectedSingle(teacher: String, student: String, family: [String], count: (String) throws -> Int) throws -> String {
        let (large, small) = (Double(try count(teacher)), Double(try count(student)))
        let target = (large * small).squareRoot()
        var best: (String, Double)?
        for name in family {
            let p = Double(try count(name))
            guard p > small, p < large else { continue }
            let distance = abs(log(p / target))
            if best == nil || distance < best!.1 { best = (name, distance) }
        }
        return try XCTUnwrap(best?.0)
    }

    func testPlainCNNCountsMatchTAKDsTableAndTheClosestToTheGeometricMeanIsChosen() throws {
        let count = counter(channels: 3, size: 32, classes: 10)
        // TAKD plain_cnn_cifar.py, CIFAR-10 book (reference §3.4).
        XCTAssertEqual(try count("plane10"), 2_487_850)
        XCTAssertEqual(try count("plane8"), 327_962)
        XCTAssertEqual(try count("plane6"), 82_778)
        XCTAssertEqual(try count("plane4"), 37_338)
        XCTAssertEqual(try count("plane2"), 13_082)
        let selection = try AssistantSelection(teacher: "plane10", student: "plane2", parameterCount: count)
        let expected = try expectedSingle(teacher: "plane10", student: "plane2", family: ["plane2", "plane4", "plane6", "plane8", "plane10"],
                                          count: count)
        XCTAssertEqual(selection.assistants, [expected])
        // √(2,487,850 · 13,082) = 180,405.2: plane8 is 1.82× above it, plane6 2.18× below.
        XCTAssertEqual(expected, "plane8")
        XCTAssertEqual(selection.idealParameters[0], (2_487_850.0 * 13_082).squareRoot(), accuracy: 1e-6)
        XCTAssertEqual(selection.explanation,
                       "plane8 (327,962 params) is the closest to the geometric mean 180,405 of plane10 (2,487,850) and plane2 (13,082)")
    }

    func testFashionMNISTShapesGiveTheirOwnCountsAndChoice() throws {
        let count = counter(channels: 1, size: 28, classes: 10)
        let family = ["plane2", "plane4", "plane6", "plane8", "plane10"]
        for (teacher, student) in [("plane10", "plane2"), ("plane10", "plane4"), ("plane8", "plane2"), ("plane6", "plane2")] {
            let selection = try AssistantSelection(teacher: teacher, student: student, parameterCount: count)
            XCTAssertEqual(selection.assistants, [try expectedSingle(teacher: teacher, student: student, family: family, count: count)],
                           "\(teacher) → \(student)")
            XCTAssert(selection.explanation.contains("geometric mean"), selection.explanation)
        }
    }

    func testSeveralAssistantsAreSpacedEvenlyOnTheLogScale() throws {
        let count = counter(channels: 3, size: 32, classes: 10)
        let selection = try AssistantSelection(teacher: "plane10", student: "plane2", count: 2, parameterCount: count)
        // Ideals one and two thirds of the way from plane10 to plane2 in log-parameters.
        let (t, s) = (log(2_487_850.0), log(13_082.0))
        let ideals = [exp(t - (t - s) / 3), exp(t - 2 * (t - s) / 3)]
        for (ideal, expected) in zip(selection.idealParameters, ideals) { XCTAssertEqual(ideal, expected, accuracy: 1e-6) }
        // Each ideal's nearest member (log distance) among plane8, plane6, plane4.
        let members = [("plane8", 327_962.0), ("plane6", 82_778.0), ("plane4", 37_338.0)]
        let nearest = ideals.map { ideal in members.min { abs(log($0.1 / ideal)) < abs(log($1.1 / ideal)) }!.0 }
        XCTAssertEqual(Set(nearest).count, 2, "the nearest members are distinct here: \(nearest)")
        XCTAssertEqual(selection.assistants, nearest)
        XCTAssert(selection.explanation.contains("3 equal steps"), selection.explanation)
        let all = try AssistantSelection(teacher: "plane10", student: "plane2", count: 3, parameterCount: count)
        XCTAssertEqual(all.assistants, ["plane8", "plane6", "plane4"])
    }

    func testResNetAndWideResNetFamilies() throws {
        let count = counter(channels: 3, size: 32, classes: 100)
        let resnets = ["resnet8", "resnet14", "resnet20", "resnet32", "resnet44", "resnet56", "resnet110"]
        let resnet = try AssistantSelection(teacher: "resnet110", student: "resnet8", parameterCount: count)
        XCTAssertEqual(resnet.assistants, [try expectedSingle(teacher: "resnet110", student: "resnet8", family: resnets, count: count)])
        let wrns = ["wrn_16_1", "wrn_16_2", "wrn_40_1", "wrn_40_2"]
        let wide = try AssistantSelection(teacher: "wrn_40_2", student: "wrn_16_1", parameterCount: count)
        XCTAssertEqual(wide.assistants, [try expectedSingle(teacher: "wrn_40_2", student: "wrn_16_1", family: wrns, count: count)])
    }

    func testErrorsNameTheProblem() throws {
        let count = counter(channels: 1, size: 28, classes: 10)
        func failure(_ teacher: String, _ student: String, count n: Int = 1) -> ChainError? {
            do {
                _ = try AssistantSelection(teacher: teacher, student: student, count: n, parameterCount: count)
                return nil
            } catch { return error as? ChainError }
        }
        XCTAssertEqual(failure("plane10", "resnet8"),
                       .mixedFamilies(teacher: "plane10", teacherFamily: "plain CNN", student: "resnet8", studentFamily: "CIFAR ResNet"))
        XCTAssertEqual(failure("vgg13", "vgg8"), .notInFamily(model: "vgg13"))
        XCTAssertEqual(failure("plane4", "plane2"), .notEnoughMembersBetween(teacher: "plane4", student: "plane2", requested: 1, available: []))
        XCTAssertEqual(failure("plane10", "plane2", count: 4),
                       .notEnoughMembersBetween(teacher: "plane10", student: "plane2", requested: 4, available: ["plane8", "plane6", "plane4"]))
        guard case .teacherNotLarger = failure("plane2", "plane10") else { return XCTFail("a smaller teacher is refused") }
        let message = failure("plane4", "plane2")?.description ?? ""
        XCTAssert(message.contains("no member of their family lies strictly between plane4 and plane2"), message)
        XCTAssert(failure("plane10", "resnet8")?.description.contains("one family") ?? false)
    }
}
