import XCTest
@testable import RetortCheckpoint

/// NaN and ±inf are found in every floating-point dtype and named per tensor; integers are not
/// checked; a value beyond `Float`'s range counts as infinite (it would be on the device).
final class NonFiniteValuesTests: XCTestCase {
    func testEveryNonFiniteTensorIsNamedWithItsCounts() throws {
        let file = SafeTensors(tensors: [
            "fine": try HostTensor([Float](repeating: 1, count: 4), shape: [4]),
            "b.nan": try HostTensor([1, .nan, 2, .nan] as [Float], shape: [2, 2]),
            "a.inf": try HostTensor(converting: [0, .infinity, -.infinity], to: .float16, shape: [3]),
            "huge": try HostTensor([1e300, 0] as [Double], shape: [2]),
            "steps": HostTensor(scalar: Int64.max),
        ])
        XCTAssertNoThrow(try file.checkFinite(["fine", "steps", "missing"]))
        XCTAssertThrowsError(try file.checkFinite(file.names, source: "w.safetensors")) { error in
            XCTAssertEqual(error as? NonFiniteValues, NonFiniteValues(source: "w.safetensors", tensors: [
                .init(name: "a.inf", nanCount: 0, infinityCount: 2, firstIndex: 1),
                .init(name: "b.nan", nanCount: 2, infinityCount: 0, firstIndex: 1),
                .init(name: "huge", nanCount: 0, infinityCount: 1, firstIndex: 0),
            ]))
            XCTAssertEqual("\(error)", """
                state dict 'w.safetensors' holds non-finite values in 3 tensors; nothing was loaded (weights saved after training \
                diverged? use an earlier checkpoint)
                  a.inf: 0 NaN, 2 ±inf (first at element 1)
                  b.nan: 2 NaN, 0 ±inf (first at element 1)
                  huge: 0 NaN, 1 ±inf (first at element 0)
                """)
        }
    }
}
