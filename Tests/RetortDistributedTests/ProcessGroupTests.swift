import RetortDistributed
import XCTest

final class ProcessGroupTests: XCTestCase {
    /// A group that only knows its place: sharding needs no communication.
    private final class Place: ProcessGroup {
        let rank: Int, size: Int
        var localRank: Int { rank }
        var localSize: Int { size }
        init(rank: Int, size: Int) { (self.rank, self.size) = (rank, size) }
        func allReduce(_ values: inout [Float], _ operation: ReduceOperation) throws(ProcessGroupError) { throw .mismatch("unused") }
        func allReduce(_ values: inout [Double], _ operation: ReduceOperation) throws(ProcessGroupError) { throw .mismatch("unused") }
        func allReduce(_ values: inout [Int64], _ operation: ReduceOperation) throws(ProcessGroupError) { throw .mismatch("unused") }
        func broadcast(_ bytes: inout [UInt8], from root: Int) throws(ProcessGroupError) { throw .mismatch("unused") }
        func allGather(_ values: [Float]) throws(ProcessGroupError) -> [[Float]] { throw .mismatch("unused") }
        func barrier() throws(ProcessGroupError) { throw .mismatch("unused") }
        func abort(code: Int32) -> Never { fatalError("abort \(code)") }
    }

    /// The ranks' shards tile the rows in rank order, as evenly as can be (sizes differ by at most
    /// one), for every count including fewer rows than ranks.
    func testShardsTileTheRowsInRankOrderAsEvenlyAsCanBe() {
        for size in 1...5 {
            for count in 0...23 {
                let shards = (0..<size).map { Place(rank: $0, size: size).shard(of: count) }
                XCTAssertEqual(shards.first?.lowerBound, 0)
                XCTAssertEqual(shards.last?.upperBound, count)
                for (a, b) in zip(shards, shards.dropFirst()) {
                    XCTAssertEqual(a.upperBound, b.lowerBound, "\(count) rows over \(size) ranks: \(shards)")
                }
                let sizes = shards.map(\.count)
                XCTAssertLessThanOrEqual((sizes.max() ?? 0) - (sizes.min() ?? 0), 1, "\(count) rows over \(size): \(shards)")
            }
        }
        XCTAssertEqual((0..<2).map { Place(rank: $0, size: 2).shard(of: 3) }, [0..<1, 1..<3])
    }
}
