import Foundation

/// Set by Ctrl-C: the trainer finishes its step, saves `last` and stops.
///
/// Why `@unchecked Sendable` is safe: the signal handler runs on a global dispatch queue while the
/// trainer polls ``isSet`` on its own thread, so the flag is guarded by `lock`; `source` is immutable
/// after `init`.
final class InterruptFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var set = false
    private let source: DispatchSourceSignal

    init() {
        signal(SIGINT, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler { [unowned self] in self.lock.withLock { self.set = true } }
        source.resume()
    }

    deinit { source.cancel() }

    var isSet: Bool { lock.withLock { set } }
}
