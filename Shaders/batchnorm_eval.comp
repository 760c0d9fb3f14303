#version 450
// Batch norm (2-D), evaluation forward with the running statistics (PyTorch's BatchNorm2d in eval
// mode): y = (x − runningMean) · weight / sqrt(runningVar + eps) + bias, then max(y, 0) when RELU.
// x, y: [N, C, H, W]; weight, bias, runningMean, runningVar: [C]
// Each invocation handles RUN consecutive texels of x (VEC floats each: 4 when H·W % 4 == 0);
// invocations are numbered across the x and y workgroup axes so large tensors fit the group limits.
// RELU (constant 5): apply the ReLU (NaN stays NaN) before the store.
// 16-bit variants: x and y in the precision; the statistics, parameters and arithmetic stay fp32.
// precisions: fp16 bf16
#extension GL_GOOGLE_include_directive : require
#include "precision.glsl"
layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;
layout(constant_id = 3) const uint VEC = 1u;
layout(constant_id = 4) const uint RUN = 4u;
layout(constant_id = 5) const bool RELU = false;

layout(binding = 0) uniform valueSampler x;
layout(binding = 1) uniform samplerBuffer weight;
layout(binding = 2) uniform samplerBuffer bias;
layout(binding = 3) uniform samplerBuffer runningMean;
layout(binding = 4) uniform samplerBuffer runningVar;
layout(binding = 5) writeonly buffer Y { value_t y[]; };
layout(binding = 5) writeonly buffer Y4 { value4_t y4[]; };   // the same buffer, 4 floats at a time

// P: texels per (n, c) plane = H·W / VEC; texels: N·C·P.
layout(push_constant) uniform Push { uint C; uint P; uint texels; float eps; } p;

#include "relu.glsl"

void channelAffine(uint c, out float mean, out float scale, out float beta) {
    mean = texelFetch(runningMean, int(c)).x;
    scale = texelFetch(weight, int(c)).x / sqrt(texelFetch(runningVar, int(c)).x + p.eps);
    beta = texelFetch(bias, int(c)).x;
}

void main() {
    uint id = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    uint start = id * RUN;
    if (start >= p.texels) return;
    uint plane = start / p.P;
    uint i = start - plane * p.P;
    uint c = plane % p.C;
    float mean, scale, beta;
    channelAffine(c, mean, scale, beta);
    uint end = min(start + RUN, p.texels);
    for (uint a = start; a < end; ++a) {
        if (VEC == 4u) {
            vec4 v = (FETCH(x, int(a)) - mean) * scale + beta;
            y4[a] = FROM_VEC4(RELU ? rectified(v) : v);
        } else {
            float v = (FETCH(x, int(a)).x - mean) * scale + beta;
            y[a] = FROM_FLOAT(RELU ? rectified(vec4(v)).x : v);
        }
        if (++i == p.P) {
            i = 0u;
            c = c + 1u == p.C ? 0u : c + 1u;
            channelAffine(c, mean, scale, beta);
        }
    }
}
