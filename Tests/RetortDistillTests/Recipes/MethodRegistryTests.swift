import XCTest
import Retort
import RetortDistill
import RetortTestSupport

/// The registry finds every method by name, with the reference defaults each declares beside its loss.
final class MethodRegistryTests: ContextTestCase {
    /// name: kind, CE weight, term weight, temperature, option keys with their defaults.
    private let reference: [String: (DistillationMethod.Kind, Double, Double, Double, [String: String])] = [
        "ce": (.plain, 1, 0, 4, [:]),
        "kd": (.offline, 0.1, 0.9, 4, ["kd-reduction": "batchmean", "kd-t2": "true"]),
        "dkd": (.offline, 1, 1, 4, ["dkd-alpha": "1", "dkd-beta": "8", "dkd-warmup": "20"]),
        "nkd": (.offline, 1, 1, 1, ["nkd-gamma": "1.5"]),
        "dist": (.offline, 1, 2, 4, ["dist-beta": "1", "dist-gamma": "1"]),
        "sp": (.offline, 1, 3000, 4, [:]),
        "crd": (.offline, 1, 0.8, 0.07, ["crd-dim": "128", "crd-negatives": "16384", "crd-momentum": "0.5"]),
        "camkd": (.offline, 1, 1, 4, ["camkd-inter-weight": "50", "camkd-inter-from": "1"]),
        "mixkd": (.offline, 0.1, 0.9, 4, ["mixup-alpha": "1", "mixup-unmixed": "0.9"]),
        "bake": (.selfDistillation, 1, 1, 4, ["bake-omega": "0.5"]),
        "zipf": (.selfDistillation, 1, 0.1, 4, ["zipf-power": "1", "zipf-dense": "true", "zipf-upsample": "true", "zipf-mask": "false"]),
        "tfnkd": (.selfDistillation, 1, 1, 4, [:]),
        "ls": (.selfDistillation, 1, 0, 4, ["label-smoothing": "0.1"]),
    ]

    func testEveryMethodResolvesByNameWithTheReferenceDefaults() throws {
        XCTAssertEqual(Set(MethodRegistry.methods.map(\.name)), Set(reference.keys))
        for (name, (kind, ceWeight, lossWeight, temperature, options)) in reference {
            let method = try MethodRegistry.method(named: name)
            XCTAssertEqual(method.name, name)
            XCTAssertEqual(method.kind, kind, name)
            XCTAssertEqual(method.defaultCrossEntropyWeight, ceWeight, name)
            XCTAssertEqual(method.defaultLossWeight, lossWeight, name)
            XCTAssertEqual(method.defaultTemperature, temperature, name)
            XCTAssertEqual(Dictionary(uniqueKeysWithValues: method.options.map { ($0.key, $0.defaultText) }), options, name)
            XCTAssertFalse(method.summary.isEmpty, name)
        }
        XCTAssertEqual(DistillationMethod.offline.map(\.name), ["kd", "dkd", "nkd", "dist", "sp", "crd", "camkd", "mixkd"])
        XCTAssertEqual(DistillationMethod.selfDistillation.map(\.name), ["bake", "zipf", "tfnkd", "ls"])
        XCTAssertEqual(DistillationMethod.offline.filter(\.acceptsSeveralTeachers).map(\.name), ["kd", "camkd"])
        XCTAssertThrowsError(try MethodRegistry.method(named: "fitnet")) { XCTAssert("\($0)".contains("unknown method 'fitnet'"), "\($0)") }
    }

    func testOptionTypesCheckValuesAndNameTheKey() throws {
        let kd = try MethodRegistry.method(named: "kd")
        XCTAssertEqual(try kd.option("kd-t2")?.parse("false"), 0)
        XCTAssertNil(try kd.option("kd-reduction")?.parse("mean"), "a choice keeps its text")
        XCTAssertThrowsError(try kd.option("kd-reduction")?.parse("max")) {
            XCTAssert("\($0)".contains("kd-reduction must be batchmean, mean or sum"))
        }
        XCTAssertThrowsError(try kd.option("kd-t2")?.parse("maybe")) { XCTAssert("\($0)".contains("kd-t2 must be true or false")) }
        XCTAssertThrowsError(try DecoupledKD.distillationMethod.option("dkd-beta")?.parse("x")) {
            XCTAssert("\($0)".contains("dkd-beta must be a number"))
        }
        let setup = DistillationSetup(textOptions: ["kd-reduction": "max"], classes: 3, context: context)
        XCTAssertThrowsError(try kd.makeObjective(setup)) { XCTAssert("\($0)".contains("kd-reduction must be"), "\($0)") }
    }

    func testOnlineMethodsResolveByNameAndBuildTheirObjectives() throws {
        XCTAssertEqual(OnlineMethod.allCases.map(\.name), ["dml", "switokd", "bdkd", "sokd"])
        let networks: [String: ClosedRange<Int>] = ["dml": 2...Int.max, "switokd": 2...3, "bdkd": 2...2, "sokd": 2...2]
        for (name, count) in networks {
            let method = try MethodRegistry.onlineMethod(named: name)
            XCTAssertEqual(method.networks, count, name)
            XCTAssertEqual(method.teachesFromFrozenTeacher, name == "sokd", name)
            XCTAssertEqual(try method.makeObjective().name.isEmpty, false, name)
        }
        XCTAssert(try MethodRegistry.onlineMethod(named: "dml").makeObjective(labelSmoothing: 0.1) is DeepMutualLearning)
        let sokd = try XCTUnwrap(try MethodRegistry.onlineMethod(named: "sokd").makeObjective(options: ["temperature": 2]) as? SemiOnlineKD)
        XCTAssertEqual(sokd.temperature, 2)
        XCTAssertEqual(try XCTUnwrap(try MethodRegistry.onlineMethod(named: "sokd").makeObjective() as? SemiOnlineKD).temperature, 4)
        let switokd = try MethodRegistry.onlineMethod(named: "switokd").makeObjective(text: ["topology": "2t1s"], networks: 3)
        XCTAssertEqual((switokd as? SwitchableOnlineKD)?.topology, .twoTeachersOneStudent)
        XCTAssertThrowsError(try MethodRegistry.onlineMethod(named: "kd")) { XCTAssert("\($0)".contains("unknown online method 'kd'")) }
    }
}
