#version 450
// ReLU, forward and backward, the residual sum + ReLU of a basic block in one pass, and ReLU6.
//   MODE 0 forward:  y = max(x, 0) (NaN stays NaN, like PyTorch)
//     bindings: 0 x [count], 1 unused (bind x again), 2 y [count]
//   MODE 1 backward: dx = mask <= 0 ? 0 : dy, where mask is the forward input x or output y (a NaN
//     mask passes dy through, like PyTorch's threshold_backward); also the backward of MODE 2 (the
//     same dx goes to both summands, with y as the mask)
//     bindings: 0 mask [count], 1 dy [count], 2 dx [count]
//   MODE 2 sum forward: y = max(a + b, 0) (NaN stays NaN)
//     bindings: 0 a [count], 1 b [count], 2 y [count]
//   MODE 3 ReLU6 forward: y = min(max(x, 0), 6) (NaN stays NaN)
//     bindings: 0 x [count], 1 unused (bind x again), 2 y [count]
//   MODE 4 ReLU6 backward: dx = (mask <= 0 || mask >= 6) ? 0 : dy, mask = the forward input or output
//     bindings: 0 mask [count], 1 dy [count], 2 dx [count]
// Inputs are texel buffers (RGBA32F when VEC == 4, which needs count % 4 == 0, else R32F; their 16-bit
// formats in the fp16/bf16 variants). The output may alias an input: each element is read and written by
// one invocation.
// precisions: fp16 bf16
#extension GL_GOOGLE_include_directive : require
#include "precision.glsl"
#include "elementwise_span.glsl"
#include "relu.glsl"
layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;
layout(constant_id = 3) const uint MODE = 0;
layout(constant_id = 4) const uint VEC = 1;

layout(binding = 0) uniform valueSampler x;
layout(binding = 1) uniform valueSampler dy;
layout(binding = 2) writeonly buffer Y { value_t y[]; };
layout(binding = 2) writeonly buffer Y4 { value4_t y4[]; };  // the same buffer, for VEC == 4

layout(push_constant) uniform Push { uint count; } p;

vec4 compute(uint t) {
    vec4 v = FETCH(x, int(t));
    if (MODE == 0u) return rectified(v);
    if (MODE == 2u) return rectified(v + FETCH(dy, int(t)));
    if (MODE == 3u) return rectified6(v);
    if (MODE == 4u) return rectified6Gradient(FETCH(dy, int(t)), v);
    return rectifiedGradient(FETCH(dy, int(t)), v);
}

void main() {
    uint units = p.count / VEC;
    uint first, end, step;
    subgroupSpan(units, first, end, step);
    for (uint u = first; u < end; u += step) {
        vec4 r = compute(u);
        if (VEC == 4u) y4[u] = FROM_VEC4(r);
        else y[u] = FROM_FLOAT(r.x);
    }
}
