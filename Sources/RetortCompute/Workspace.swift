import Foundation

/// Scratch memory that consecutive kernels of one ``CommandStream`` reuse: one buffer per slot,
/// replaced by a larger one when a request outgrows it.
///
/// Kernels that need large temporaries (a Winograd convolution's transformed tiles) take their
/// scratch from here instead of allocating per call, so a training step's scratch is that of its
/// largest kernel rather than the sum over all of them. Reuse is safe because the stream orders
/// every read and write of a buffer (it inserts a barrier on each hazard), and a replaced buffer
/// stays alive until the batch that used it has run.
///
/// Why `@unchecked Sendable` is safe: the slot table is guarded by `lock`.
public final class Workspace: @unchecked Sendable {
    private let device: Device
    private let lock = NSLock()
    private var slots: [Int: Buffer] = [:]

    /// A workspace on `device`; it allocates nothing until asked.
    public init(device: Device) {
        self.device = device
    }

    /// A buffer of at least `byteCount` bytes for `slot`: the slot's current buffer when it is large
    /// enough, otherwise a new one (growing by at least a quarter, so a slowly growing demand does not
    /// reallocate every call).
    public func buffer(_ slot: Int, byteCount: Int) throws -> Buffer {
        try lock.withLock {
            if let existing = slots[slot], existing.byteCount >= byteCount { return existing }
            let size = max(byteCount, (slots[slot]?.byteCount ?? 0) * 5 / 4)
            let made = try device.makeBuffer(byteCount: size)
            slots[slot] = made
            return made
        }
    }

    /// Bytes held by all slots.
    public var byteCount: Int { lock.withLock { slots.values.reduce(0) { $0 + $1.byteCount } } }
}
