#version 450
// Conv2d forward as an implicit GEMM (no im2col buffer), NCHW, fp32, with groups and optional bias:
//   y[n, k, oh, ow] = b[k] + Σ_{c, kh, kw} w[k, c, kh, kw] · x[n, g·cinG + c, oh·SH − PH + kh·DH, ow·SW − PW + kw·DW]
// where g = k / coutG is the group of output channel k.
//
// Each invocation computes a TM × TN register block: TM output channels × TN consecutive output
// columns of one output row. The channel block is uniform over a workgroup (the weights are the same
// for every lane), the columns differ per lane. Per input channel and kernel row it loads one input
// row window of SPAN values and reuses it for all KW taps and TM channels.
//
// Dispatch: x = OH · blocksX invocations (blocksX = ceil(OW / TN)), y = groups · blocksY
// workgroups (blocksY = ceil(coutG / TM)), z = N. VARIANT 1 adds the bias.
#include "conv2d_common.glsl"

layout(binding = 0) uniform samplerBuffer X;    // x: [N, C, H, W]  (R32F, or RGBA32F with VEC_ROWS)
layout(binding = 1) uniform samplerBuffer Wt;   // w: [K, cinG, KH, KW]  (R32F)
layout(binding = 2) uniform samplerBuffer Bias; // b: [K]  (R32F, read when VARIANT == 1)
layout(binding = 3) writeonly buffer Ybuf { float Y[]; };  // y: [N, K, OH, OW]

// Input columns one invocation reads for one kernel row.
const uint SPAN = (TN - 1u) * SW + (KW - 1u) * DW + 1u;
// Load the whole window when it has no more values than the taps use (always for stride 1);
// otherwise (e.g. 1×1 with stride 2) fetch each tap's column.
const bool WINDOW = SPAN <= TN * KW;
const uint XLEN = WINDOW ? SPAN : TN * KW;
// The window starts at ow0 − PW; with VEC_ROWS, ow0 % 4 == 0, so it sits SHIFT floats into a texel.
const uint SHIFT = (4u - (PW & 3u)) & 3u;

void main() {
    uint owBlock = gl_GlobalInvocationID.x % p.blocksX;
    uint oh = gl_GlobalInvocationID.x / p.blocksX;
    uint n = gl_WorkGroupID.z;
    if (oh >= p.OH) return;
    uint g = gl_WorkGroupID.y / p.blocksY;
    uint k0 = (gl_WorkGroupID.y % p.blocksY) * TM;   // first output channel, within the group
    uint ow0 = owBlock * TN;

    float acc[TM][TN];
    [[unroll]] for (uint m = 0u; m < TM; ++m)
        [[unroll]] for (uint j = 0u; j < TN; ++j) acc[m][j] = 0.0;

    // Weight rows of the block's channels (clamped at the tail; those results are not stored).
    uint wRow[TM];
    [[unroll]] for (uint m = 0u; m < TM; ++m) wRow[m] = (g * p.coutG + min(k0 + m, p.coutG - 1u)) * p.cinG * KK;

    int ih0 = int(oh * SH) - int(PH);
    int iw0 = int(ow0 * SW) - int(PW);
    uint plane = (n * p.C + g * p.cinG) * p.H;
    for (uint c = 0u; c < p.cinG; ++c, plane += p.H) {
        [[unroll]] for (uint kh = 0u; kh < KH; ++kh) {
            int ih = ih0 + int(kh * DH);
            float xs[XLEN];
            if (WINDOW) {
                LOAD_ROW_WINDOW(xs, SPAN, X, plane, ih, p.H, p.W, iw0, VEC_ROWS, SHIFT)
            } else {
                [[unroll]] for (uint kw = 0u; kw < KW; ++kw) {
                    float tap[TN];
                    LOAD_ROW_WINDOW_STRIDED(tap, TN, SW, X, plane, ih, p.H, p.W, iw0 + int(kw * DW))
                    [[unroll]] for (uint j = 0u; j < TN; ++j) xs[kw * TN + j] = tap[j];
                }
            }
            uint wTap = c * KK + kh * KW;
            [[unroll]] for (uint kw = 0u; kw < KW; ++kw) {
                float wv[TM];
                [[unroll]] for (uint m = 0u; m < TM; ++m) wv[m] = texelFetch(Wt, int(wRow[m] + wTap + kw)).x;
                [[unroll]] for (uint m = 0u; m < TM; ++m)
                    [[unroll]] for (uint j = 0u; j < TN; ++j)
                        acc[m][j] += wv[m] * xs[WINDOW ? j * SW + kw * DW : kw * TN + j];
            }
        }
    }

    [[unroll]] for (uint m = 0u; m < TM; ++m) {
        uint kg = k0 + m;
        if (kg >= p.coutG) break;
        uint k = g * p.coutG + kg;
        float b = VARIANT == 1u ? texelFetch(Bias, int(k)).x : 0.0;
        uint yRow = ((n * p.K + k) * p.OH + oh) * p.OW;
        [[unroll]] for (uint j = 0u; j < TN; ++j)
            if (ow0 + j < p.OW) Y[yRow + ow0 + j] = acc[m][j] + b;
    }
}
