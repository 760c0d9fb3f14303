import Foundation
import XCTest
@testable import RetortCompute
import RetortTestSupport

final class UnaryTests: DeviceTestCase {
    func testEveryOperationMatchesTheCPU() throws {
        let unary = try UnaryLauncher(device: device)
        let stream = try device.makeStream()
        var random = TestRandom(seed: 61)
        for count in [1, 255, 257, 1000] {
            let x = random.floats(count).map { abs($0) + 0.1 }  // inside every op's domain
            let input = try device.makeBuffer(x), output = try device.makeBuffer(byteCount: count * 4)
            for operation in UnaryLauncher.Operation.allCases {
                try unary.encode(operation, into: stream, input: input, output: output, count: count)
                try stream.run()
                let expected = UnaryOracle.apply(operation, x)
                XCTAssertLessThanOrEqual(maxRelativeError(try output.read(Float.self), expected), 1e-6, "\(operation) of \(count)")
            }
        }
    }

    func testCoversMoreElementsThanOneGridOfWorkgroups() throws {
        // 65,535 workgroups of 256 cover 16,776,960 elements; the shader loops over the rest.
        let count = 65_535 * 256 + 300
        let x = (0..<count).map { Float($0 % 1000) }
        let output = try device.makeBuffer(byteCount: count * 4)
        let stream = try device.makeStream()
        try UnaryLauncher(device: device).encode(.square, into: stream, input: try device.makeBuffer(x), output: output, count: count)
        try stream.run()
        let squares = try output.read(Float.self)
        XCTAssertNil(squares.indices.first { squares[$0] != x[$0] * x[$0] }, "first wrong element")
    }
}
