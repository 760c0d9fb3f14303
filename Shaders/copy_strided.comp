#version 450
// Strided copy (gather / scatter) over a 4-D index space i = (i0, i1, i2, i3) < (size0, size1, size2, size3):
//   dst[dstOffset + Σ_d i_d · dstStride_d] = src[srcOffset + Σ_d i_d · srcStride_d]
// What the data-movement ops are made of, e.g. for x: [N, C, H, W] with S = H·W:
//   channel slice [c0, c0 + k):   index space [1, N, k, S], src offset c0·S, strides (0, C·S, S, 1) → dense dst
//   concatenation, one input:     index space [1, N, k, S], dense src → dst offset c0·S, strides (0, C'·S, S, 1)
//   channel shuffle (g groups):   index space [N, C/g, g, S], src strides (C·S, S, (C/g)·S, 1) → dense dst
// src: R32F texel buffer; dst: storage buffer (elements outside the image of the map are left as they are).
// The launcher guarantees that the destination map is one-to-one, so every written element has exactly
// one writer and the result does not depend on scheduling. Elements are spread over subgroups as
// contiguous spans (elementwise_span.glsl): any number of workgroups covers any count.
#include "elementwise_span.glsl"
layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;

layout(binding = 0) uniform samplerBuffer src;
layout(binding = 1) writeonly buffer Dst { float dst[]; };

// Index decomposition divides by size3, size2 and size1 with magic numbers from the host
// (q = (mulhi(n, magic) + n) >> shift, exact for n < 2^31): integer division has no vector
// instruction on CPUs.
layout(push_constant) uniform Push {
    uint count;
    uint size1; uint size2; uint size3;
    uint magic1; uint shift1; uint magic2; uint shift2; uint magic3; uint shift3;
    uint srcOffset; uint srcStride0; uint srcStride1; uint srcStride2; uint srcStride3;
    uint dstOffset; uint dstStride0; uint dstStride1; uint dstStride2; uint dstStride3;
} p;

uint fastDivide(uint n, uint magic, uint shift) {
    uint high, low;
    umulExtended(n, magic, high, low);
    return (high + n) >> shift;
}

void main() {
    uint first, end, step;
    subgroupSpan(p.count, first, end, step);
    for (uint e = first; e < end; e += step) {
        uint r3 = fastDivide(e, p.magic3, p.shift3);
        uint i3 = e - r3 * p.size3;
        uint r2 = fastDivide(r3, p.magic2, p.shift2);
        uint i2 = r3 - r2 * p.size2;
        uint i0 = fastDivide(r2, p.magic1, p.shift1);
        uint i1 = r2 - i0 * p.size1;
        uint s = p.srcOffset + i0 * p.srcStride0 + i1 * p.srcStride1 + i2 * p.srcStride2 + i3 * p.srcStride3;
        uint d = p.dstOffset + i0 * p.dstStride0 + i1 * p.dstStride1 + i2 * p.dstStride2 + i3 * p.dstStride3;
        dst[d] = texelFetch(src, int(s)).x;
    }
}
