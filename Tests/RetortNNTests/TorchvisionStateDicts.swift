import Foundation
import XCTest
@testable import RetortNN

/// torchvision's `state_dict()` of its ImageNet-size models at 1000 classes (key, shape and dtype, in
/// order), as `Benchmarks/peers/torchvision_parity.py state-dicts` wrote it into
/// `Fixtures/torchvision_state_dicts.json`.
enum TorchvisionStateDicts {
    struct Entry: Equatable, CustomStringConvertible {
        let key: String, shape: [Int], dtype: String
        var description: String { "\(key) \(shape) \(dtype)" }
    }

    /// The fixture's entries of `model` (a zoo name).
    static func entries(of model: String) throws -> [Entry] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/torchvision_state_dicts.json")
        let fixture = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: [String: Any]])
        let rows = try XCTUnwrap(fixture[model]?["entries"] as? [[Any]], "the fixture has no \(model)")
        return try rows.map { row in
            Entry(key: try XCTUnwrap(row[0] as? String), shape: try XCTUnwrap(row[1] as? [Int]), dtype: try XCTUnwrap(row[2] as? String))
        }
    }

    /// `model`'s state dict as Retort saves it (`stateDict()`: shapes and dtypes), in registration order.
    static func entries(of model: any Module) throws -> [Entry] {
        let state = try model.stateDict()
        return try model.walk().compactMap { name, entry in
            if case .child = entry { return nil }
            let tensor = try XCTUnwrap(state[name], "stateDict() lacks \(name)")
            return Entry(key: name, shape: tensor.shape, dtype: tensor.dtype.rawValue)
        }
    }

    /// Asserts that `name` at 1000 classes saves exactly torchvision's state dict: the same keys in the
    /// same order, with the same shapes and dtypes (`num_batches_tracked` an int64 scalar), and has
    /// `parameters` parameters (torchvision's count).
    static func assertMatches(_ name: String, parameters: Int, context: Context, file: StaticString = #filePath,
                              line: UInt = #line) throws {
        let model = try ModelZoo.make(name, classes: 1000, context: context)
        XCTAssertEqual(model.parameterCount, parameters, "\(name) parameters", file: file, line: line)
        let ours = try entries(of: model), theirs = try entries(of: name)
        XCTAssertEqual(ours.count, theirs.count, "\(name): number of state_dict entries", file: file, line: line)
        for (index, (a, b)) in zip(ours, theirs).enumerated() where a != b {
            XCTFail("\(name) entry \(index): Retort has \(a), torchvision \(b)", file: file, line: line)
            break
        }
    }
}
