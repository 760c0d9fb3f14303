/// CRC-32C (Castagnoli: reflected polynomial 0x82F63B78, initial value and final XOR 0xFFFFFFFF), the
/// checksum of TFRecord files, computed a byte at a time from a 256-entry table.
public enum CRC32C {
    /// The remainder of each byte value, for the byte-at-a-time loop.
    private static let table: [UInt32] = (0..<256).map { byte in
        (0..<8).reduce(UInt32(byte)) { crc, _ in crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
    }

    /// The CRC-32C of `bytes` ("123456789" gives 0xE3069283).
    public static func checksum(_ bytes: some Sequence<UInt8>) -> UInt32 {
        ~bytes.reduce(UInt32.max) { crc, byte in table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
    }

    /// TFRecord's masked form of a CRC, `((crc >> 15) | (crc << 17)) + 0xA282EAD8` (wrapping): a CRC
    /// stored next to the data it covers, so that the CRC of data holding CRCs stays well distributed.
    public static func mask(_ crc: UInt32) -> UInt32 {
        ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
    }

    /// The masked CRC-32C of `bytes`, as TFRecord stores it.
    public static func masked(_ bytes: some Sequence<UInt8>) -> UInt32 { mask(checksum(bytes)) }
}
