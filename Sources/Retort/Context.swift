import Foundation
import RetortCompute

/// Where tensors live and ops run: a device, the command stream the current step is recorded into,
/// the autograd tape, and the kernels built so far.
///
/// Ops record dispatches without waiting; ``synchronize()`` (or reading a tensor's values) submits
/// what was recorded and waits, so a whole training step becomes one submit.
///
/// Why `@unchecked Sendable` is safe: by contract, not by a lock. Every op mutates the tape, the
/// no-grad depth, the launcher table and the FLOP count, so a context and its tensors are used by one
/// thread at a time: the one recording into its ``stream`` (a training step, an evaluation). Handing a
/// context to another thread between steps, after ``synchronize()``, is safe; recording into it from
/// two threads at once is not. For parallel work use one context per thread; they may share a ``Device``.
public final class Context: @unchecked Sendable {
    public let device: Device
    /// The stream ops record into.
    public let stream: CommandStream
    /// Scratch memory the ops of ``stream`` share (a Winograd convolution's transformed tiles).
    public let workspace: Workspace
    let tape = Tape()
    private var noGradDepth = 0
    private var launchers: [LauncherKey: Any] = [:]

    /// - Parameter timestamps: time every dispatch (``CommandStream/dispatchTimes()``), for profiling.
    public init(device: Device, timestamps: Bool = false) throws {
        self.device = device
        stream = try device.makeStream(timestamps: timestamps)
        workspace = Workspace(device: device)
    }

    /// A context on the device chosen by the environment (`RETORT_DEVICE`, `RETORT_VALIDATION`).
    public convenience init() throws {
        try self.init(device: Device())
    }

    /// Multiply-add FLOPs (2 per multiply-accumulate) of the convolutions and matrix products
    /// recorded since the last ``resetFLOPCount()``: what model tables call forward FLOPs.
    public private(set) var flopCount: Double = 0

    public func resetFLOPCount() { flopCount = 0 }

    func countFLOPs(_ flops: Double) { flopCount += flops }

    /// Whether ops record backward closures on the tape.
    public var isRecordingGradients: Bool { noGradDepth == 0 }

    /// The precision the matrix ops (convolutions, linear layers) compute in: fp32, or fp16/bf16 inside
    /// ``autocast(_:_:)``. Their inputs and parameters are cast to it (parameters stay fp32: the cast's
    /// backward takes their gradient back to fp32); softmax, cross-entropy, KL and batch-norm statistics
    /// stay fp32, as under PyTorch's `torch.autocast`.
    public private(set) var autocastPrecision: Precision = .float32

    /// Runs `body` with the matrix ops in `precision` (PyTorch's `torch.autocast(dtype=…)`).
    public func autocast<R>(_ precision: Precision, _ body: () throws -> R) rethrows -> R {
        let outer = autocastPrecision
        autocastPrecision = precision
        defer { autocastPrecision = outer }
        return try body()
    }

    /// Runs `body` without recording gradients (teachers, evaluation).
    public func noGrad<R>(_ body: () throws -> R) rethrows -> R {
        noGradDepth += 1
        defer { noGradDepth -= 1 }
        return try body()
    }

    /// Submits everything recorded so far and waits for it.
    public func synchronize() throws {
        try stream.run()
    }

    /// The launcher of type `L` (and `key`, for launchers built per shape) for this context's
    /// device, built on first use.
    package func launcher<L>(_ type: L.Type, key: AnyHashable = 0, make: (Device) throws -> L) throws -> L {
        let slot = LauncherKey(type: ObjectIdentifier(type), key: key)
        if let existing = launchers[slot] as? L { return existing }
        let made = try make(device)
        launchers[slot] = made
        return made
    }
}

/// Identifies a cached launcher: its type and, for per-shape launchers, the shape.
struct LauncherKey: Hashable {
    let type: ObjectIdentifier
    let key: AnyHashable
}
