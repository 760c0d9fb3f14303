#version 450
// Global average pooling backward: dx[n, c, h, w] = dy[n, c] / (H · W).
// dy: [N, C] -> dx: [N, C, H, W]
// Each invocation writes RUN consecutive values of dx.
// 16-bit variants: dy and dx in the precision.
// precisions: fp16 bf16
#extension GL_GOOGLE_include_directive : require
#include "precision.glsl"
layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;
layout(constant_id = 3) const uint RUN = 8u;

layout(binding = 0) uniform valueSampler dy;
layout(binding = 1) writeonly buffer DX { value_t dx[]; };

// HW = H·W; count = N·C·H·W; (magic, shift) divide by HW.
layout(push_constant) uniform Push { uint HW; uint count; uint hwMagic; uint hwShift; } p;

#include "pool.glsl"

void main() {
    uint start = linearInvocation() * RUN;
    if (start >= p.count) return;
    uint plane = fastdiv(start, p.hwMagic, p.hwShift);
    uint i = start - plane * p.HW;
    float size = float(p.HW);
    float g = FETCH(dy, int(plane)).x / size;
    uint end = min(start + RUN, p.count);
    for (uint e = start; e < end; ++e) {
        dx[e] = FROM_FLOAT(g);
        if (++i == p.HW) {
            i = 0u;
            plane += 1u;
            if (e + 1u < end) g = FETCH(dy, int(plane)).x / size;
        }
    }
}
