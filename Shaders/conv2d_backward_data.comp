#version 450
// Conv2d backward data (the gradient of the input), NCHW, fp32:
//   dx[n, c, ih, iw] = Σ_{k in group(c), kh, kw} w[k, c − g·cinG, kh, kw] · dy[n, k, oh, ow]
//   over the taps with oh·SH = ih + PH − kh·DH and ow·SW = iw + PW − kw·DW inside dy.
//
// Each invocation computes TM input channels × TN input columns of one input row; the channel block
// is uniform over a workgroup (weights are the same for every lane). With a stride, the input pixels
// are split into SH · SW phases (ih % SH, iw % SW) and an invocation's TN columns are of one phase
// (iw = phW + SW · (b · TN + j)): then which taps reach them is uniform over the workgroup and no
// multiply is spent on a tap that does not exist.
//
// Dispatch: x = ceil(H / SH) · blocksX invocations (blocksX = ceil(ceil(W / SW) / TN)),
// y = groups · blocksY workgroups (blocksY = ceil(cinG / TM)), z = N · SH · SW (image, phase).
// Every element of dx is written (zero where no tap reaches it). PACKED_W: the weights come packed
// by conv2d.comp VARIANT 3 (the TM input channels of a tap adjacent, RGBA32F).
#include "conv2d_common.glsl"

layout(constant_id = 15) const bool PACKED_W = false;

layout(binding = 0) uniform samplerBuffer DY;   // dy: [N, K, OH, OW]  (R32F, or RGBA32F with VEC_ROWS)
layout(binding = 1) uniform samplerBuffer Wt;   // w:  [K, cinG, KH, KW] (R32F), or packed (RGBA32F)
layout(binding = 2) writeonly buffer DXbuf { float DX[]; };  // dx: [N, C, H, W]

// Stride 1: for columns iw0 + j the taps read dy columns iw0 + PW − kw·DW + j, a window of SPAN
// values starting at iw0 + PW − (KW − 1)·DW; with VEC_ROWS it starts SHIFT floats into a texel.
const uint SPAN = TN + (KW - 1u) * DW;
const uint SHIFT = uint(int(PW) - int((KW - 1u) * DW)) & 3u;
const uint TI = TM % 4u == 0u ? 4u : (TM % 2u == 0u ? 2u : 1u);
const uint TJ = TN % 4u == 0u ? 4u : (TN % 2u == 0u ? 2u : 1u);

void main() {
    uint colBlock = gl_GlobalInvocationID.x % p.blocksX;
    uint r = gl_GlobalInvocationID.x / p.blocksX;     // row within the phase
    uint n = gl_WorkGroupID.z / (SH * SW);
    uint phH = (gl_WorkGroupID.z % (SH * SW)) / SW;
    uint phW = gl_WorkGroupID.z % SW;
    uint g = gl_WorkGroupID.y / p.blocksY;
    uint c0 = (gl_WorkGroupID.y % p.blocksY) * TM;   // first input channel, within the group
    uint ih = phH + SH * r;
    uint b0 = colBlock * TN;                          // first column of this phase
    uint iw0 = phW + SW * b0;                         // its input column
    if (ih >= p.H) return;

    float acc[TM][TN];
    [[unroll]] for (uint m = 0u; m < TM; ++m)
        [[unroll]] for (uint j = 0u; j < TN; ++j) acc[m][j] = 0.0;

    // Unpacked: w[k, c, kh, kw] = Wt[(k · cinG + c) · KK + kh · KW + kw], channels clamped at the tail.
    uint wCol[TM];
    [[unroll]] for (uint m = 0u; m < TM; ++m) wCol[m] = min(c0 + m, p.cinG - 1u) * KK;
    // Packed: this block's TM × KK weights of output channel k start at texel wPacked + k · KK · TM / 4.
    uint wPacked = gl_WorkGroupID.y * p.coutG * KK * TM / 4u;

    // Which kernel rows reach this phase, and the dy row each reads (oh · SH = ih + PH − kh · DH).
    bool rowTap[KH];
    int ohTap[KH];
    [[unroll]] for (uint kh = 0u; kh < KH; ++kh) {
        int dh = int(phH + PH) - int(kh * DH);
        int dhMod = ((dh % int(SH)) + int(SH)) % int(SH);
        rowTap[kh] = dhMod == 0;
        ohTap[kh] = int(r) + (dh - dhMod) / int(SH);
    }

    uint plane = (n * p.K + g * p.coutG) * p.OH;
    uint wRow = g * p.coutG * p.cinG * KK;
    for (uint k = 0u; k < p.coutG; ++k, plane += p.OH, wRow += p.cinG * KK) {
        float wv[TM][KK];
        if (PACKED_W) {
            [[unroll]] for (uint t = 0u; t < KK; ++t)
                [[unroll]] for (uint q = 0u; q < TM / 4u; ++q) {
                    vec4 v = texelFetch(Wt, int(wPacked + (k * KK + t) * (TM / 4u) + q));
                    [[unroll]] for (uint e = 0u; e < 4u; ++e) wv[4u * q + e][t] = v[e];
                }
        } else {
            [[unroll]] for (uint m = 0u; m < TM; ++m)
                [[unroll]] for (uint t = 0u; t < KK; ++t) wv[m][t] = texelFetch(Wt, int(wRow + wCol[m] + t)).x;
        }
        if (SH == 1u && SW == 1u) {
            // Stride 1: every tap exists; KH windows, then register tiles over all taps.
            float ys[KH][SPAN];
            [[unroll]] for (uint kh = 0u; kh < KH; ++kh)
                LOAD_ROW_WINDOW(ys[kh], SPAN, DY, plane, ohTap[kh], p.OH, p.OW, int(iw0 + PW) - int((KW - 1u) * DW), VEC_ROWS, SHIFT)
            [[unroll]] for (uint mb = 0u; mb < TM; mb += TI)
                [[unroll]] for (uint jb = 0u; jb < TN; jb += TJ) {
                    float a[TI][TJ];
                    [[unroll]] for (uint i = 0u; i < TI; ++i)
                        [[unroll]] for (uint jj = 0u; jj < TJ; ++jj) a[i][jj] = acc[mb + i][jb + jj];
                    [[unroll]] for (uint kh = 0u; kh < KH; ++kh)
                        [[unroll]] for (uint kw = 0u; kw < KW; ++kw)
                            [[unroll]] for (uint i = 0u; i < TI; ++i)
                                [[unroll]] for (uint jj = 0u; jj < TJ; ++jj)
                                    a[i][jj] = fma(wv[mb + i][kh * KW + kw], ys[kh][jb + jj + (KW - 1u - kw) * DW], a[i][jj]);
                    [[unroll]] for (uint i = 0u; i < TI; ++i)
                        [[unroll]] for (uint jj = 0u; jj < TJ; ++jj) acc[mb + i][jb + jj] = a[i][jj];
                }
        } else {
            // Strided: only the taps of this phase, each with its own TN dy values.
            [[unroll]] for (uint kh = 0u; kh < KH; ++kh) {
                if (!rowTap[kh]) continue;
                [[unroll]] for (uint kw = 0u; kw < KW; ++kw) {
                    int dw = int(phW + PW) - int(kw * DW);
                    int dwMod = ((dw % int(SW)) + int(SW)) % int(SW);
                    if (dwMod != 0) continue;
                    float ys[TN];
                    LOAD_ROW_WINDOW_STRIDED(ys, TN, 1u, DY, plane, ohTap[kh], p.OH, p.OW, int(b0) + (dw - dwMod) / int(SW))
                    [[unroll]] for (uint m = 0u; m < TM; ++m)
                        [[unroll]] for (uint j = 0u; j < TN; ++j) acc[m][j] = fma(wv[m][kh * KW + kw], ys[j], acc[m][j]);
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
