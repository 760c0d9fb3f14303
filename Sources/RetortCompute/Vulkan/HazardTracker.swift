/// Decides where a command stream needs a barrier: before a command that reads a range an earlier,
/// not yet synchronized command wrote (read-after-write), or writes a range an earlier one read or
/// wrote (write-after-read, write-after-write). Independent commands run without barriers.
struct HazardTracker {
    /// A byte range inside one memory block.
    struct Range: Equatable {
        let block: ObjectIdentifier
        let start: UInt64
        let end: UInt64

        func overlaps(_ other: Range) -> Bool {
            block == other.block && start < other.end && other.start < end
        }
    }

    private(set) var pendingReads: [Range] = []
    private(set) var pendingWrites: [Range] = []

    /// Records a command's accesses; returns true when a barrier must precede it. After a barrier,
    /// only this command's accesses are pending.
    mutating func record(reads: [Range], writes: [Range]) -> Bool {
        let hazard = reads.contains { read in pendingWrites.contains { $0.overlaps(read) } }
            || writes.contains { write in
                pendingWrites.contains { $0.overlaps(write) } || pendingReads.contains { $0.overlaps(write) }
            }
        if hazard { reset() }
        pendingReads += reads
        pendingWrites += writes
        return hazard
    }

    mutating func reset() {
        pendingReads.removeAll(keepingCapacity: true)
        pendingWrites.removeAll(keepingCapacity: true)
    }
}
