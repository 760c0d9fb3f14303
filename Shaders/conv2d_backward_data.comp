#version 450
// Conv2d backward data (the gradient of the input), NCHW, fp32:
//   dx[n, c, ih, iw] = Σ_{k in group(c), kh, kw} w[k, c − g·cinG, kh, kw] · dy[n, k, oh, ow]
//   over the taps with oh·SH = ih + PH − kh·DH and ow·SW = iw + PW − kw·DW inside dy.
//
// Each invocation computes TM input channels × TN input columns of one input row. With a stride,
// the input pixels are split into SH · SW phases (ih % SH, iw % SW), one per workgroup z (with the image), and an
// invocation's TN columns are of one phase (iw = phW + SW · (b · TN + j)): then which taps reach
// them is the same for the whole workgroup and no multiply is spent on a tap that does not exist.
// The channel block is uniform over a workgroup (weights are the same for every lane).
//
// Dispatch: x = ceil(H / SH) · blocksX invocations (blocksX = ceil(ceil(W / SW) / TN)),
// y = groups · blocksY workgroups (blocksY = ceil(cinG / TM)), z = N · SH · SW (image, phase).
// Every element of dx is written (zero where no tap reaches it).
#include "conv2d_common.glsl"

layout(binding = 0) uniform samplerBuffer DY;   // dy: [N, K, OH, OW]  (R32F, or RGBA32F with VEC_ROWS)
layout(binding = 1) uniform samplerBuffer Wt;   // w:  [K, cinG, KH, KW]  (R32F)
layout(binding = 2) writeonly buffer DXbuf { float DX[]; };  // dx: [N, C, H, W]

// Stride 1: for columns iw0 + j the taps read dy columns iw0 + PW − kw·DW + j, a window of SPAN
// values starting at iw0 + PW − (KW − 1)·DW; with VEC_ROWS it starts SHIFT floats into a texel.
const uint SPAN = TN + (KW - 1u) * DW;
const uint XLEN = SW == 1u ? SPAN : TN;
const uint SHIFT = uint(int(PW) - int((KW - 1u) * DW)) & 3u;

void main() {
    uint colBlock = gl_GlobalInvocationID.x % p.blocksX;
    uint r = gl_GlobalInvocationID.x / p.blocksX;     // row within the phase
    uint n = gl_WorkGroupID.z / (SH * SW);
    uint phH = (gl_WorkGroupID.z % (SH * SW)) / SW;
    uint phW = gl_WorkGroupID.z % SW;
    uint g = gl_WorkGroupID.y / p.blocksY;
    uint c0 = (gl_WorkGroupID.y % p.blocksY) * TM;   // first input channel, within the group
    uint ih = phH + SH * r;
    if (n >= p.N || ih >= p.H) return;
    uint b0 = colBlock * TN;                          // first column of this phase
    uint iw0 = phW + SW * b0;                         // its input column

    float acc[TM][TN];
    [[unroll]] for (uint m = 0u; m < TM; ++m)
        [[unroll]] for (uint j = 0u; j < TN; ++j) acc[m][j] = 0.0;

    // w[k, c, kh, kw] = Wt[(k · cinG + c) · KK + kh · KW + kw]; channels clamped at the tail.
    uint wCol[TM];
    [[unroll]] for (uint m = 0u; m < TM; ++m) wCol[m] = min(c0 + m, p.cinG - 1u) * KK;

    uint plane = (n * p.K + g * p.coutG) * p.OH;
    uint wRow = g * p.coutG * p.cinG * KK;
    for (uint k = 0u; k < p.coutG; ++k, plane += p.OH, wRow += p.cinG * KK) {
        [[unroll]] for (uint kh = 0u; kh < KH; ++kh) {
            // oh · SH = ih + PH − kh · DH: the tap exists for this phase when the offset divides.
            int dh = int(phH + PH) - int(kh * DH);
            int dhMod = ((dh % int(SH)) + int(SH)) % int(SH);
            if (dhMod != 0) continue;
            int oh = int(r) + (dh - dhMod) / int(SH);
            if (SW == 1u) {
                float ys[XLEN];
                LOAD_ROW_WINDOW(ys, SPAN, DY, plane, oh, p.OH, p.OW, int(iw0 + PW) - int((KW - 1u) * DW), VEC_ROWS, SHIFT)
                [[unroll]] for (uint kw = 0u; kw < KW; ++kw) {
                    float wv[TM];
                    [[unroll]] for (uint m = 0u; m < TM; ++m) wv[m] = texelFetch(Wt, int(wRow + wCol[m] + kh * KW + kw)).x;
                    [[unroll]] for (uint m = 0u; m < TM; ++m)
                        [[unroll]] for (uint j = 0u; j < TN; ++j) acc[m][j] += wv[m] * ys[j + (KW - 1u - kw) * DW];
                }
            } else {
                [[unroll]] for (uint kw = 0u; kw < KW; ++kw) {
                    int dw = int(phW + PW) - int(kw * DW);
                    int dwMod = ((dw % int(SW)) + int(SW)) % int(SW);
                    if (dwMod != 0) continue;
                    float ys[TN];
                    LOAD_ROW_WINDOW_STRIDED(ys, TN, 1u, DY, plane, oh, p.OH, p.OW, int(b0) + (dw - dwMod) / int(SW))
                    float wv[TM];
                    [[unroll]] for (uint m = 0u; m < TM; ++m) wv[m] = texelFetch(Wt, int(wRow + wCol[m] + kh * KW + kw)).x;
                    [[unroll]] for (uint m = 0u; m < TM; ++m)
                        [[unroll]] for (uint j = 0u; j < TN; ++j) acc[m][j] += wv[m] * ys[j];
                }
            }
        }
    }

    [[unroll]] for (uint m = 0u; m < TM; ++m) {
        uint cg = c0 + m;
        if (cg >= p.cinG) break;
        uint row = ((n * p.C + g * p.cinG + cg) * p.H + ih) * p.W;
        [[unroll]] for (uint j = 0u; j < TN; ++j) {
            uint iw = iw0 + SW * j;
            if (iw < p.W) DX[row + iw] = acc[m][j];
        }
    }
}
