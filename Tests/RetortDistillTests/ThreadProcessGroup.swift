import Foundation
import RetortDistributed

/// The ranks of a data-parallel job as threads of this process, for testing what the ranks do to each
/// other without `mpirun`: each rank's collectives wait for all ranks' and return what Open MPI's
/// would (sums in rank order). Run them with ``ThreadProcessGroup/run(ranks:_:)``, one thread and
/// one context per rank. A rank that returns or throws leaves the job: a collective the others then
/// wait in throws instead of hanging (as `mpirun` ends a job whose rank failed).
final class ThreadProcessGroup: ProcessGroup, @unchecked Sendable {
    let rank: Int
    let size: Int
    var localRank: Int { rank }
    var localSize: Int { size }
    private let meeting: Meeting

    private init(rank: Int, meeting: Meeting) {
        self.rank = rank
        self.size = meeting.size
        self.meeting = meeting
    }

    /// Runs `body` on `ranks` threads at once, each with its own group; returns each rank's result
    /// in rank order.
    static func run<Value: Sendable>(ranks: Int, _ body: @escaping @Sendable (ThreadProcessGroup) throws -> Value)
        -> [Result<Value, any Error>] {
        let meeting = Meeting(size: ranks)
        let results = Results<Result<Value, any Error>>(count: ranks)
        let done = DispatchGroup()
        for rank in 0..<ranks {
            done.enter()
            let thread = Thread {
                results.set(rank, Result { try body(ThreadProcessGroup(rank: rank, meeting: meeting)) })
                meeting.leave(rank: rank)
                done.leave()
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
        done.wait()
        return results.values.map { $0! }
    }

    func allReduce(_ values: inout [Float], _ operation: ReduceOperation) throws(ProcessGroupError) {
        values = try reduce(values, operation)
    }

    func allReduce(_ values: inout [Double], _ operation: ReduceOperation) throws(ProcessGroupError) {
        values = try reduce(values, operation)
    }

    func allReduce(_ values: inout [Int64], _ operation: ReduceOperation) throws(ProcessGroupError) {
        values = try reduce(values, operation)
    }

    func broadcast(_ bytes: inout [UInt8], from root: Int) throws(ProcessGroupError) {
        guard let sent = try meeting.exchange(bytes, rank: rank)[root] as? [UInt8] else { throw .mismatch("broadcast: not bytes") }
        bytes = sent
    }

    func allGather(_ values: [Float]) throws(ProcessGroupError) -> [[Float]] {
        guard let all = try meeting.exchange(values, rank: rank) as? [[Float]] else { throw .mismatch("all-gather: not floats") }
        return all
    }

    func barrier() throws(ProcessGroupError) {
        _ = try meeting.exchange((), rank: rank)
    }

    func abort(code: Int32) -> Never {
        fatalError("rank \(rank) aborted the job with code \(code)")
    }

    /// Every rank's `values` combined element-wise, in rank order; a collective whose ranks give
    /// different counts throws (Open MPI's would be undefined).
    private func reduce<T: Numeric & Comparable>(_ values: [T], _ operation: ReduceOperation) throws(ProcessGroupError) -> [T] {
        guard let all = try meeting.exchange(values, rank: rank) as? [[T]], all.allSatisfy({ $0.count == values.count }) else {
            throw .mismatch("all-reduce: the ranks gave different counts or types")
        }
        return values.indices.map { i in
            all.dropFirst().reduce(all[0][i]) { partial, other in
                switch operation {
                case .sum: partial + other[i]
                case .min: Swift.min(partial, other[i])
                case .max: Swift.max(partial, other[i])
                }
            }
        }
    }

    /// Where the ranks' threads meet: each call returns every rank's value once all have given theirs.
    private final class Meeting: @unchecked Sendable {
        let size: Int
        private let condition = NSCondition()
        private var values: [Any?]
        private var arrived = 0
        private var round = 0
        private var last: [Any] = []
        private var left: Set<Int> = []

        init(size: Int) {
            self.size = size
            values = Array(repeating: nil, count: size)
        }

        func exchange(_ value: Any, rank: Int) throws(ProcessGroupError) -> [Any] {
            condition.lock()
            defer { condition.unlock() }
            if let gone = left.min() { throw .mismatch("rank \(gone) left the job") }
            let mine = round
            values[rank] = value
            arrived += 1
            if arrived == size {
                // Nobody can start the next round before every rank has read this one's `last`.
                last = values.compactMap { $0 }
                values = Array(repeating: nil, count: size)
                arrived = 0
                round += 1
                condition.broadcast()
            } else {
                while round == mine, left.isEmpty { condition.wait() }
                if round == mine, let gone = left.min() { throw .mismatch("rank \(gone) left the job") }
            }
            return last
        }

        /// `rank` makes no more calls: whoever waits for it, or calls later, gets an error.
        func leave(rank: Int) {
            condition.lock()
            defer { condition.unlock() }
            left.insert(rank)
            condition.broadcast()
        }
    }

    /// One slot per rank, written by that rank's thread.
    private final class Results<Value>: @unchecked Sendable {
        private let lock = NSLock()
        private var slots: [Value?]
        init(count: Int) { slots = Array(repeating: nil, count: count) }
        func set(_ index: Int, _ value: Value) { lock.withLock { slots[index] = value } }
        var values: [Value?] { lock.withLock { slots } }
    }
}
