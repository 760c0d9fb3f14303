import Foundation

/// Set by Ctrl-C: the trainer finishes its step, saves `last` and stops.
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
