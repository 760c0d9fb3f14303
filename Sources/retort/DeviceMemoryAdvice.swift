import RetortCompute

/// What the CLI says when a run does not fit the device: what was needed and what the device
/// holds (from ``VulkanError/outOfMemory(detail:)``), the batch size it ran at, and what to change.
enum DeviceMemoryAdvice {
    /// Runs `body`; an out-of-memory error from it becomes a ``CLIError`` naming `batchSize`.
    static func explaining<Result>(batchSize: Int, _ body: () throws -> Result) throws -> Result {
        do {
            return try body()
        } catch VulkanError.outOfMemory(let detail) {
            throw CLIError.failed(message(detail: detail, batchSize: batchSize))
        }
    }

    /// The message for an out-of-memory `detail` at `batchSize`.
    static func message(detail: String, batchSize: Int) -> String {
        "out of device memory at --batch-size \(batchSize): \(detail). Lower --batch-size"
            + (batchSize > 1 ? " (try \(batchSize / 2))" : "") + " or use a smaller model; RETORT_DEVICE chooses another device. "
            + "The checkpoints already written are kept."
    }
}
