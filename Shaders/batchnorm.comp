#version 450
// Batch norm (2-D), training forward, as PyTorch's BatchNorm2d in training mode, optionally followed by
// a ReLU in the same pass.
// x, y: [N, C, H, W]; weight, bias, saveMean, saveInvstd, runningMean, runningVar: [C]
//
//   mean, var = batch mean and biased variance of channel c over N·H·W
//   y = (x − mean) · invstd · weight + bias,  invstd = 1 / sqrt(var + eps)
//   y = max(y, 0) when RELU (NaN stays NaN, like PyTorch)
//   runningMean = (1 − momentum) · runningMean + momentum · mean
//   runningVar  = (1 − momentum) · runningVar  + momentum · var · n / (n − 1)
//
// One workgroup per channel, so the channel is still in cache when it is normalized. Each lane sums
// a fixed strided part of the channel (shifted by the channel's first value for a stable variance);
// lane 0 adds the lane partials in lane order: no atomics, the same bits on every run, whatever the
// subgroup size. Two barriers per workgroup, none in the loops.
// VEC (constant 3): floats per texel of x — 4 (RGBA32F view) when H·W % 4 == 0, else 1 (R32F).
// RELU (constant 4): apply max(y, 0) before the store.
// PHASE (constant 5): 0 — all of the above. Synchronized batch norm (statistics over the data-parallel
// ranks' batches together) runs it in two dispatches with the host combining the ranks' statistics
// in between: 1 — pass 1 only: stats[c], stats[C + c] = this batch's mean and biased variance
// (nothing else is written); 2 — no pass 1: normalize with the mean and biased variance in stats,
// which hold `total` values per channel over all ranks (the unbiased variance uses `total`).
// 16-bit variants: x and y in the precision; the statistics, parameters and arithmetic stay fp32.
// precisions: fp16 bf16
#extension GL_GOOGLE_include_directive : require
#include "precision.glsl"
layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;
layout(constant_id = 3) const uint VEC = 1u;
layout(constant_id = 4) const bool RELU = false;
layout(constant_id = 5) const uint PHASE = 0u;

layout(binding = 0) uniform valueSampler x;
layout(binding = 1) uniform samplerBuffer weight;
layout(binding = 2) uniform samplerBuffer bias;
layout(binding = 3) writeonly buffer Y { value_t y[]; };
layout(binding = 3) writeonly buffer Y4 { value4_t y4[]; };   // the same buffer, 4 floats at a time
layout(binding = 4) writeonly buffer SaveMean { float saveMean[]; };
layout(binding = 5) writeonly buffer SaveInvstd { float saveInvstd[]; };
layout(binding = 6) buffer RunningMean { float runningMean[]; };
layout(binding = 7) buffer RunningVar { float runningVar[]; };
layout(binding = 8) buffer Stats { float stats[]; };   // [2C]: PHASE 1 writes, PHASE 2 reads

// P: texels per (n, c) plane = H·W / VEC; total: values per channel over all ranks (PHASE 2 only).
layout(push_constant) uniform Push { uint N; uint C; uint P; float eps; float momentum; float total; } p;

#include "batchnorm.glsl"
#include "relu.glsl"

shared float channelMean;
shared float channelScale;
shared float channelBias;

void main() {
    uint c = gl_WorkGroupID.x;
    uint t = gl_LocalInvocationID.x;
    uint L = gl_WorkGroupSize.x;
    uint CP = p.C * p.P;
    uint q = L / p.P, r = L - q * p.P;
    float shift = FETCH(x, int(c * p.P)).x;   // the channel's first value (either view)

    // Pass 1: shifted sum and sum of squares of this lane's part.
    uint n, i, a;
    if (PHASE != 2u) {
        vec4 s = vec4(0.0), ss = vec4(0.0);
        channelStart(t, c, p.P, CP, n, i, a);
        while (n < p.N) {
            if (VEC == 4u) {
                vec4 d = FETCH(x, int(a)) - shift;
                s += d;
                ss += d * d;
            } else {
                float d = FETCH(x, int(a)).x - shift;
                s.x += d;
                ss.x += d * d;
            }
            channelAdvance(q, r, p.P, CP, n, i, a);
        }
        partialA[t] = (s.x + s.y) + (s.z + s.w);
        partialB[t] = (ss.x + ss.y) + (ss.z + ss.w);
        barrier();
    }

    if (t == 0u) {
        float mean, variance, count;
        if (PHASE == 2u) {
            mean = stats[c];
            variance = stats[p.C + c];
            count = p.total;
        } else {
            float sum = 0.0, squares = 0.0;
            for (uint k = 0u; k < L; ++k) {
                sum += partialA[k];
                squares += partialB[k];
            }
            count = float(p.N * p.P * VEC);
            float meanShifted = sum / count;
            variance = max(squares / count - meanShifted * meanShifted, 0.0);
            mean = shift + meanShifted;
        }
        if (PHASE == 1u) {
            stats[c] = mean;
            stats[p.C + c] = variance;
        } else {
            float invstd = 1.0 / sqrt(variance + p.eps);
            saveMean[c] = mean;
            saveInvstd[c] = invstd;
            runningMean[c] = (1.0 - p.momentum) * runningMean[c] + p.momentum * mean;
            runningVar[c] = (1.0 - p.momentum) * runningVar[c] + p.momentum * (variance * count / (count - 1.0));
            channelMean = mean;
            channelScale = invstd * texelFetch(weight, int(c)).x;
            channelBias = texelFetch(bias, int(c)).x;
        }
    }
    if (PHASE == 1u) return;
    barrier();

    // Pass 2: normalize the same part of the channel.
    float mean = channelMean, scale = channelScale, beta = channelBias;
    channelStart(t, c, p.P, CP, n, i, a);
    while (n < p.N) {
        if (VEC == 4u) {
            vec4 v = (FETCH(x, int(a)) - mean) * scale + beta;
            y4[a] = FROM_VEC4(RELU ? rectified(v) : v);
        } else {
            float v = (FETCH(x, int(a)).x - mean) * scale + beta;
            y[a] = FROM_FLOAT(RELU ? rectified(vec4(v)).x : v);
        }
        channelAdvance(q, r, p.P, CP, n, i, a);
    }
}
