#version 450
// Global average pooling forward: y[n, c] = mean of x[n, c, :, :].
// x: [N, C, H, W] -> y: [N, C]
// One invocation per (n, c) plane sums its P texels in order (VEC floats each: 4, an RGBA32F view,
// when H·W % 4 == 0).
// 16-bit variants: x and y in the precision (RGBA16 views), the sum in fp32.
// precisions: fp16 bf16
#extension GL_GOOGLE_include_directive : require
#include "precision.glsl"
layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;
layout(constant_id = 3) const uint VEC = 1u;

layout(binding = 0) uniform valueSampler x;
layout(binding = 1) writeonly buffer Y { value_t y[]; };

// planes = N·C; P = texels per plane = H·W / VEC.
layout(push_constant) uniform Push { uint planes; uint P; } p;

#include "pool.glsl"

void main() {
    uint plane = linearInvocation();
    if (plane >= p.planes) return;
    int base = int(plane * p.P);
    vec4 sum = vec4(0.0);
    for (int i = 0; i < int(p.P); ++i) {
        if (VEC == 4u) sum += FETCH(x, base + i);
        else sum.x += FETCH(x, base + i).x;
    }
    y[plane] = FROM_FLOAT(((sum.x + sum.y) + (sum.z + sum.w)) / float(p.P * VEC));
}
