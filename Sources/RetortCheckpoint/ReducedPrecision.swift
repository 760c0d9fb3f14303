/// Bit-level conversions between `Float` and the reduced-precision formats a checkpoint may hold
/// (IEEE half, bfloat16, and the two 8-bit floats). Written out by hand so they behave the same
/// on every platform, whether or not it has a native `Float16`.
package enum ReducedPrecision {
    // MARK: IEEE half (F16): 1 sign, 5 exponent (bias 15), 10 mantissa bits.

    package static func float(fromFloat16 bits: UInt16) -> Float {
        let sign: UInt32 = UInt32(bits & 0x8000) << 16
        let exponent = UInt32(bits >> 10) & 0x1F
        let mantissa = UInt32(bits & 0x3FF)
        switch exponent {
        case 0:
            // Zero or subnormal: mantissa · 2^-24.
            let magnitude = Float(mantissa) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        case 0x1F:
            return Float(bitPattern: sign | 0x7F80_0000 | mantissa << 13)
        default:
            return Float(bitPattern: sign | (exponent + 112) << 23 | mantissa << 13)
        }
    }

    /// Rounds to nearest, ties to even; overflow gives infinity, NaN stays NaN (quiet).
    package static func float16(from value: Float) -> UInt16 {
        let bits = value.bitPattern
        let sign = UInt16(truncatingIfNeeded: (bits >> 16) & 0x8000)
        let exponent = Int((bits >> 23) & 0xFF)
        var mantissa = bits & 0x7F_FFFF
        if exponent == 0xFF {
            return sign | 0x7C00 | (mantissa == 0 ? 0 : 0x200 | UInt16(truncatingIfNeeded: mantissa >> 13))
        }
        let halfExponent = exponent - 127 + 15
        if halfExponent >= 0x1F { return sign | 0x7C00 }
        if halfExponent <= 0 {
            // Result is subnormal (or zero): value / 2^-24, rounded.
            if halfExponent < -10 { return sign }
            mantissa |= 0x80_0000
            let shift = UInt32(14 - halfExponent)
            let kept = mantissa >> shift
            let remainder = mantissa & ((1 << shift) - 1)
            let halfway: UInt32 = 1 << (shift - 1)
            let rounded = remainder > halfway || (remainder == halfway && kept & 1 == 1) ? kept + 1 : kept
            return sign | UInt16(truncatingIfNeeded: rounded)
        }
        var half = UInt32(halfExponent) << 10 | mantissa >> 13
        let remainder = mantissa & 0x1FFF
        if remainder > 0x1000 || (remainder == 0x1000 && half & 1 == 1) { half += 1 }  // may carry to infinity
        return sign | UInt16(truncatingIfNeeded: half)
    }

    // MARK: bfloat16 (BF16): the top 16 bits of a Float.

    package static func float(fromBFloat16 bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// Rounds to nearest, ties to even; NaN stays NaN (quiet).
    package static func bfloat16(from value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(truncatingIfNeeded: bits >> 16) | 0x0040 }
        let rounded = bits &+ 0x7FFF &+ ((bits >> 16) & 1)
        return UInt16(truncatingIfNeeded: rounded >> 16)
    }

    // MARK: 8-bit floats.

    /// E5M2 is the top byte of an IEEE half.
    static func float(fromFloat8E5M2 byte: UInt8) -> Float {
        float(fromFloat16: UInt16(byte) << 8)
    }

    /// E4M3 "fn" (finite, no infinities): bias 7; exponent 15 with mantissa 7 is NaN.
    static func float(fromFloat8E4M3 byte: UInt8) -> Float {
        let negative = byte & 0x80 != 0
        let exponent = Int((byte >> 3) & 0xF)
        let mantissa = Float(byte & 0x7)
        let magnitude: Float
        if exponent == 0xF && byte & 0x7 == 0x7 {
            return .nan
        } else if exponent == 0 {
            magnitude = mantissa * 0x1p-9
        } else {
            magnitude = (1 + mantissa / 8) * Float(sign: .plus, exponent: exponent - 7, significand: 1)
        }
        return negative ? -magnitude : magnitude
    }
}
