import Foundation

/// Collects the validation layer's warnings and errors so tests can fail on any of them.
///
/// Why `@unchecked Sendable` is safe: the validation layer calls back on whichever thread made the
/// Vulkan call, so `messages` is guarded by `lock`.
final class ValidationLog: @unchecked Sendable {
    private let lock = NSLock()
    private var messages: [String] = []

    func append(_ message: String) {
        FileHandle.standardError.write(Data("[vulkan validation] \(message)\n".utf8))
        lock.withLock { messages.append(message) }
    }

    /// Returns the messages collected so far and forgets them.
    func drain() -> [String] {
        lock.withLock {
            defer { messages.removeAll() }
            return messages
        }
    }
}
