import Foundation
import XCTest
@testable import RetortNN
import RetortDistributed
import RetortTestSupport

/// `Module.synchronizeBatchNorms(over:)` on every zoo family: every batch norm of the model (plain or
/// fused with its ReLU) runs synchronized in training mode, one all-reduce in its forward and one in
/// its backward, and none in evaluation mode or after synchronizing over nil again.
final class BatchNormSynchronizationTests: ContextTestCase {
    func testEveryBatchNormOfEveryFamilySynchronizesInTrainingModeOnly() throws {
        for family in BatchNormFoldingTests.families {
            let model = try ModelZoo.make(family.name, inputChannels: family.channels, inputSize: family.side, classes: family.classes,
                                          context: context, seed: 1)
            let reference = try ModelZoo.make(family.name, inputChannels: family.channels, inputSize: family.side,
                                              classes: family.classes, context: context, seed: 1)
            var generator = SplitMix64(seed: 9)
            let x = try tensor(generator.floats(2 * family.channels * family.side * family.side),
                               [2, family.channels, family.side, family.side])
            let norms = model.walk().filter { $0.name.hasSuffix("running_mean") }.count
            let group = CountingProcessGroup()
            XCTAssertEqual(model.synchronizeBatchNorms(over: group), norms, family.name)
            XCTAssertEqual(model.synchronizedBatchNormCount, norms, family.name)
            XCTAssertGreaterThan(norms, 0, family.name)

            model.train()
            reference.train()
            let logits = try model(x)
            XCTAssertEqual(group.allReduces, norms, "\(family.name): one all-reduce per batch norm in the forward")
            let expected = try reference(x).toArray()
            let actual = try logits.toArray()
            let scale = expected.reduce(0) { max($0, abs($1)) }
            XCTAssertLessThanOrEqual(zip(actual, expected).reduce(0) { max($0, abs($1.0 - $1.1)) }, 1e-4 * max(scale, 1),
                                     "\(family.name): one rank synchronized computes what it computes alone")
            try logits.crossEntropy(labels: [1, 2]).backward()
            XCTAssertEqual(group.allReduces, 2 * norms, "\(family.name): one more per batch norm in the backward")

            model.eval()
            _ = try context.noGrad { try model(x).toArray() }
            XCTAssertEqual(group.allReduces, 2 * norms, "\(family.name): evaluation mode communicates nothing")
            model.train()
            XCTAssertEqual(model.synchronizeBatchNorms(over: nil), norms)
            XCTAssertEqual(model.synchronizedBatchNormCount, 0)
            _ = try context.noGrad { try model(x).toArray() }
            XCTAssertEqual(group.allReduces, 2 * norms, "\(family.name): unsynchronized again")
        }
    }
}

/// One rank alone, counting its all-reduces.
private final class CountingProcessGroup: ProcessGroup {
    private(set) var allReduces = 0
    var rank: Int { 0 }
    var size: Int { 1 }
    var localRank: Int { 0 }
    var localSize: Int { 1 }
    func allReduce(_ values: inout [Float], _ operation: ReduceOperation) throws(ProcessGroupError) { allReduces += 1 }
    func allReduce(_ values: inout [Double], _ operation: ReduceOperation) throws(ProcessGroupError) { allReduces += 1 }
    func allReduce(_ values: inout [Int64], _ operation: ReduceOperation) throws(ProcessGroupError) { allReduces += 1 }
    func broadcast(_ bytes: inout [UInt8], from root: Int) throws(ProcessGroupError) {}
    func allGather(_ values: [Float]) throws(ProcessGroupError) -> [[Float]] { [values] }
    func barrier() throws(ProcessGroupError) {}
    func abort(code: Int32) -> Never { fatalError("aborted with code \(code)") }
}
