#version 450
// Binary element-wise ops whose second operand is broadcast over the first.
//   OP 0: c = alpha * a + beta * b   (add, subtract, axpy; beta = 0 skips b: scale)
//   OP 1: c = alpha * a * b          (multiply)
// a, c: [count], viewed as [outer, mid, inner] (NCHW per channel as [N, C, H*W], per sample as
// [N, 1, C*H*W]); b by MODE: 0 full [count], 1 per-channel [mid], 2 per-sample [outer], 3 scalar [1].
// VEC 4: a unit is 4 consecutive elements read as one RGBA32F texel (count % 4 == 0); with B_VEC b
// is read the same way (MODE 0), otherwise one b value covers the whole unit (the launcher ensures
// a unit never straddles two b values). c may be a (in place): one invocation reads and writes
// each element. Any number of workgroups covers any count (elementwise_span.glsl).
#include "elementwise_span.glsl"
layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;
layout(constant_id = 3) const uint OP = 0;
layout(constant_id = 4) const uint MODE = 0;
layout(constant_id = 5) const uint VEC = 1;
layout(constant_id = 6) const bool B_VEC = false;

layout(binding = 0) uniform samplerBuffer a;
layout(binding = 1) uniform samplerBuffer b;
layout(binding = 2) writeonly buffer C { float c[]; };
layout(binding = 2) writeonly buffer C4 { vec4 c4[]; };  // the same buffer, for VEC == 4

// b's index advances incrementally along each invocation's units (see main); the few divisions by
// inner and mid use magic numbers from the host (q = (mulhi(n, magic) + n) >> shift, exact for
// n < 2^31): integer division has no vector instruction on CPUs.
layout(push_constant) uniform Push {
    uint count; uint mid; uint inner; float alpha; float beta;
    uint innerMagic; uint innerShift; uint midMagic; uint midShift;
} p;

uint fastDivide(uint n, uint magic, uint shift) {
    uint high, low;
    umulExtended(n, magic, high, low);
    return (high + n) >> shift;
}

vec4 apply(vec4 x, vec4 y) {
    if (OP == 1u) return p.alpha * x * y;
    return p.beta == 0.0 ? p.alpha * x : p.alpha * x + p.beta * y;
}

void main() {
    uint units = p.count / VEC;
    uint first, end, step;
    subgroupSpan(units, first, end, step);
    if (first >= end) return;
    // Element e = row * inner + offset, row = o * mid + m. MODE 1 reads b[m], MODE 2 b[row] (mid = 1).
    // Each iteration moves e by step * VEC: add the precomputed quotient and remainder, then carry.
    uint row = 0u, offset = 0u, m = 0u, rowStep = 0u, offsetStep = 0u, mStep = 0u;
    if (MODE == 1u || MODE == 2u) {
        uint e = first * VEC, advance = step * VEC;
        row = fastDivide(e, p.innerMagic, p.innerShift);
        offset = e - row * p.inner;
        rowStep = fastDivide(advance, p.innerMagic, p.innerShift);
        offsetStep = advance - rowStep * p.inner;
        m = row - fastDivide(row, p.midMagic, p.midShift) * p.mid;
        mStep = rowStep - fastDivide(rowStep, p.midMagic, p.midShift) * p.mid;
    }
    for (uint u = first; u < end; u += step) {
        uint e = u * VEC;
        uint bi = MODE == 0u ? e : (MODE == 1u ? m : (MODE == 2u ? row : 0u));
        if (VEC == 4u) {
            vec4 y = B_VEC ? texelFetch(b, int(bi / 4u)) : vec4(texelFetch(b, int(bi)).x);
            c4[u] = apply(texelFetch(a, int(u)), y);
        } else {
            c[e] = apply(vec4(texelFetch(a, int(e)).x), vec4(texelFetch(b, int(bi)).x)).x;
        }
        if (MODE == 1u || MODE == 2u) {
            offset += offsetStep;
            uint carry = offset >= p.inner ? 1u : 0u;
            offset -= carry * p.inner;
            row += rowStep + carry;
            m += mStep + carry;
            if (m >= p.mid) m -= p.mid;
        }
    }
}
