import Foundation

/// A bounded FIFO between the background thread that prepares batches and the consumer.
/// Its state is guarded by `condition`, hence `@unchecked Sendable`.
final class PrefetchQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private let depth: Int
    private var ready: [Batch] = []
    private var finished = false
    private var cancelled = false

    init(depth: Int) {
        precondition(depth > 0)
        self.depth = depth
    }

    var isCancelled: Bool {
        condition.lock()
        defer { condition.unlock() }
        return cancelled
    }

    /// Waits for room and appends; false when the consumer has gone away.
    func put(_ batch: Batch) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while ready.count >= depth && !cancelled { condition.wait() }
        guard !cancelled else { return false }
        ready.append(batch)
        condition.broadcast()
        return true
    }

    /// The producer has no more batches.
    func finish() {
        condition.lock()
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    /// Waits for the next batch; nil once the producer has finished and everything was taken.
    func take() -> Batch? {
        condition.lock()
        defer { condition.unlock() }
        while ready.isEmpty && !finished { condition.wait() }
        guard !ready.isEmpty else { return nil }
        let batch = ready.removeFirst()
        condition.broadcast()
        return batch
    }

    /// Stops the producer at its next step.
    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }
}
