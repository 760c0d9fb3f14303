import RetortCheckpoint

/// TFRecord framing, the container of TensorBoard event files: each record is its length (`uint64`,
/// little-endian), the masked CRC-32C of those 8 bytes, the data, and the masked CRC-32C of the data
/// (both CRCs `uint32`, little-endian). A reader checks both CRCs, so a record cut short or damaged is
/// detected rather than misread.
public enum TFRecord {
    /// `data` as one framed record.
    public static func framed(_ data: [UInt8]) -> [UInt8] {
        let length = UInt64(data.count).littleEndianBytes
        return length + CRC32C.masked(length).littleEndianBytes + data + CRC32C.masked(data).littleEndianBytes
    }
}
