import XCTest
@testable import RetortCheckpoint

final class StateDictMismatchTests: XCTestCase {
    private let expected: [String: [Int]] = [
        "conv1.weight": [16, 3, 3, 3],
        "bn1.weight": [16],
        "bn1.running_mean": [16],
        "bn1.num_batches_tracked": [],
        "fc.weight": [100, 64],
        "fc.bias": [100],
    ]

    func testMatchingStateDictPasses() throws {
        XCTAssertNil(StateDictMismatch(expected: expected, found: expected))
        var tensors: [String: HostTensor] = [:]
        for (name, shape) in expected {
            tensors[name] = try HostTensor([Float](repeating: 0, count: HostTensor.elementCount(shape)!), shape: shape)
        }
        try SafeTensors(tensors: tensors).checkShapes(against: expected, source: "teacher.safetensors")
    }

    func testListsEveryMissingUnexpectedAndMisshapedKeyInOneError() {
        var found = expected
        found["fc.bias"] = nil                       // missing
        found["bn1.num_batches_tracked"] = nil       // missing
        found["fc.weight"] = [10, 64]                // misshaped (CIFAR-10 head)
        found["conv1.weight"] = [16, 1, 3, 3]        // misshaped (grayscale stem)
        found["linear.weight"] = [100, 64]           // unexpected
        found["bn1.running_var"] = [16]              // unexpected

        guard let mismatch = StateDictMismatch(expected: expected, found: found, source: "teacher.safetensors") else {
            return XCTFail("mismatch not detected")
        }
        XCTAssertEqual(mismatch.missing, ["bn1.num_batches_tracked", "fc.bias"])
        XCTAssertEqual(mismatch.unexpected, ["bn1.running_var", "linear.weight"])
        XCTAssertEqual(mismatch.misshaped, [
            .init(name: "conv1.weight", expected: [16, 3, 3, 3], found: [16, 1, 3, 3]),
            .init(name: "fc.weight", expected: [100, 64], found: [10, 64]),
        ])
        XCTAssertEqual(mismatch.description, """
            state dict 'teacher.safetensors' does not match the model: 2 missing keys, 2 unexpected keys, 2 misshaped keys
              missing: bn1.num_batches_tracked
              missing: fc.bias
              unexpected: bn1.running_var
              unexpected: linear.weight
              misshaped: conv1.weight: expected [16, 3, 3, 3], found [16, 1, 3, 3]
              misshaped: fc.weight: expected [100, 64], found [10, 64]
            """)
    }

    func testCheckShapesThrowsTheMismatch() throws {
        let file = SafeTensors(tensors: ["fc.bias": try HostTensor([Float](repeating: 0, count: 10), shape: [10])])
        do {
            try file.checkShapes(against: ["fc.bias": [100], "fc.weight": [100, 64]], source: "t.safetensors")
            XCTFail("no error")
        } catch {
            XCTAssertEqual(error.missing, ["fc.weight"])
            XCTAssertEqual(error.unexpected, [])
            XCTAssertEqual(error.misshaped, [.init(name: "fc.bias", expected: [100], found: [10])])
            XCTAssert(error.description.hasPrefix("state dict 't.safetensors' does not match the model: 1 missing key, 1 misshaped key"), error.description)
        }
    }

    func testDataParallelPrefixGetsAHint() {
        let found = Dictionary(uniqueKeysWithValues: expected.map { ("module." + $0.key, $0.value) })
        let mismatch = StateDictMismatch(expected: expected, found: found)
        XCTAssertEqual(mismatch?.missing.count, expected.count)
        XCTAssert(mismatch?.description.contains("hint: the unexpected keys start with 'module.'") == true, mismatch?.description ?? "")
        XCTAssertFalse(StateDictMismatch(expected: ["a": [1]], found: ["b": [1]])!.description.contains("hint"))
    }
}
