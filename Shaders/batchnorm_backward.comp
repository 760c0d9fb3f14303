#version 450
// Batch norm (2-D), backward of the training forward (batchnorm.comp), with or without its fused ReLU.
// dy, x, y, dx: [N, C, H, W]; saveMean, saveInvstd, weight, dWeight, dBias: [C]
//
//   g = dy, or with RELU: g = (y > 0 ? dy : 0) from the forward's output y (the ReLU backward)
//   x̂ = (x − mean) · invstd
//   dBias   = Σ g,   dWeight = Σ g · x̂            (sums over N·H·W)
//   dx = weight · invstd / n · (n · g − Σ g − x̂ · Σ g · x̂)
//
// One workgroup per channel, the same deterministic lane-order reduction as the forward: pass 1
// sums g and g · (x − mean), lane 0 combines, pass 2 writes dx.
// VEC (constant 3): floats per texel of dy, x and y — 4 (RGBA32F) when H·W % 4 == 0, else 1 (R32F).
// RELU (constant 4): mask dy with y; without it y is not read (bind dy there).
// PHASE (constant 5): 0 — all of the above. Synchronized batch norm (batchnorm.comp's PHASE) runs it in
// two dispatches with the host combining the ranks' sums in between: 1 — pass 1 only: dBias and
// dWeight (this batch's Σ g and Σ g · x̂, the parameter gradients), no dx; 2 — no pass 1, dBias and
// dWeight untouched: dx with sums[c] = Σ g and sums[C + c] = Σ g · x̂ over all ranks (in this rank's
// gradient scale) and `total` values per channel in place of this batch's own.
// 16-bit variants: dy, x, y and dx in the precision; the statistics, parameters, their gradients and the
// arithmetic stay fp32.
// precisions: fp16 bf16
#extension GL_GOOGLE_include_directive : require
#include "precision.glsl"
layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;
layout(constant_id = 3) const uint VEC = 1u;
layout(constant_id = 4) const bool RELU = false;
layout(constant_id = 5) const uint PHASE = 0u;

layout(binding = 0) uniform valueSampler dy;
layout(binding = 1) uniform valueSampler x;
layout(binding = 2) uniform valueSampler y;
layout(binding = 3) uniform samplerBuffer saveMean;
layout(binding = 4) uniform samplerBuffer saveInvstd;
layout(binding = 5) uniform samplerBuffer weight;
layout(binding = 6) writeonly buffer DX { value_t dx[]; };
layout(binding = 6) writeonly buffer DX4 { value4_t dx4[]; };   // the same buffer, 4 floats at a time
layout(binding = 7) writeonly buffer DWeight { float dWeight[]; };
layout(binding = 8) writeonly buffer DBias { float dBias[]; };
layout(binding = 9) readonly buffer Sums { float sums[]; };   // [2C], PHASE 2 only

// P: texels per (n, c) plane = H·W / VEC; total: values per channel over all ranks (PHASE 2 only).
layout(push_constant) uniform Push { uint N; uint C; uint P; float total; } p;

#include "batchnorm.glsl"
#include "relu.glsl"

// The gradient reaching the batch norm at texel a (all 4 floats, or .x).
vec4 gradient(uint a) {
    vec4 g = FETCH(dy, int(a));
    return RELU ? rectifiedGradient(g, FETCH(y, int(a))) : g;
}

shared float channelGain;      // weight · invstd
shared float channelMeanDy;    // Σ g / n
shared float channelSlope;     // invstd² · Σ g · (x − mean) / n

void main() {
    uint c = gl_WorkGroupID.x;
    uint t = gl_LocalInvocationID.x;
    uint L = gl_WorkGroupSize.x;
    uint CP = p.C * p.P;
    uint q = L / p.P, r = L - q * p.P;
    float mean = texelFetch(saveMean, int(c)).x;
    float invstd = texelFetch(saveInvstd, int(c)).x;

    // Pass 1: Σ g and Σ g · (x − mean) over this lane's part.
    uint n, i, a;
    if (PHASE != 2u) {
        vec4 sumDy = vec4(0.0), sumDyX = vec4(0.0);
        channelStart(t, c, p.P, CP, n, i, a);
        while (n < p.N) {
            if (VEC == 4u) {
                vec4 g = gradient(a);
                sumDy += g;
                sumDyX += g * (FETCH(x, int(a)) - mean);
            } else {
                float g = gradient(a).x;
                sumDy.x += g;
                sumDyX.x += g * (FETCH(x, int(a)).x - mean);
            }
            channelAdvance(q, r, p.P, CP, n, i, a);
        }
        partialA[t] = (sumDy.x + sumDy.y) + (sumDy.z + sumDy.w);
        partialB[t] = (sumDyX.x + sumDyX.y) + (sumDyX.z + sumDyX.w);
        barrier();
    }

    if (t == 0u) {
        channelGain = texelFetch(weight, int(c)).x * invstd;
        if (PHASE == 2u) {
            channelMeanDy = sums[c] / p.total;
            channelSlope = invstd * sums[p.C + c] / p.total;
        } else {
            float s1 = 0.0, s2 = 0.0;
            for (uint k = 0u; k < L; ++k) {
                s1 += partialA[k];
                s2 += partialB[k];
            }
            float count = float(p.N * p.P * VEC);
            dBias[c] = s1;
            dWeight[c] = s2 * invstd;
            channelMeanDy = s1 / count;
            channelSlope = invstd * invstd * s2 / count;
        }
    }
    if (PHASE == 1u) return;
    barrier();

    // Pass 2: dx = gain · (g − mean(g) − (x − mean) · slope).
    float gain = channelGain, meanDy = channelMeanDy, slope = channelSlope;
    channelStart(t, c, p.P, CP, n, i, a);
    while (n < p.N) {
        if (VEC == 4u) {
            vec4 v = gain * (gradient(a) - meanDy - (FETCH(x, int(a)) - mean) * slope);
            dx4[a] = FROM_VEC4(v);
        } else {
            dx[a] = FROM_FLOAT(gain * (gradient(a).x - meanDy - (FETCH(x, int(a)).x - mean) * slope));
        }
        channelAdvance(q, r, p.P, CP, n, i, a);
    }
}
