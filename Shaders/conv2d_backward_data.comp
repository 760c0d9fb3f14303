#version 450
// Conv2d backward data (the gradient of the input), NCHW, fp32:
//   dx[n, c, ih, iw] = Σ_{k in group(c), kh, kw} w[k, c − g·cinG, kh, kw] · dy[n, k, oh, ow]
//   over the taps with oh·SH = ih + PH − kh·DH and ow·SW = iw + PW − kw·DW inside dy.
//
// Each invocation computes TM input channels × TR input rows × TN consecutive input columns; the
// channel block is uniform over a workgroup (weights are the same for every lane). TN is a multiple
// of SW and the block starts at a multiple of TN, so which kernel columns reach column j is known at
// compile time (j + PW − kw·DW divisible by SW): no multiply is spent on a tap that does not exist.
// The kernel rows that reach an input row depend on its phase ih % SH, which is uniform over a
// workgroup (workgroup z = image · SH + phase).
//
// Dispatch: x = ceil(ceil(H / SH) / TR) · blocksX invocations (blocksX = ceil(W / TN)), y = groups · blocksY
// workgroups (blocksY = ceil(cinG / TM)), z = N · SH. Every element of dx is written (zero where no
// tap reaches it). PACKED_W: the weights come packed by conv2d.comp VARIANT 3 (the TM input
// channels of a tap adjacent, RGBA32F). VEC_ROWS: dy rows through RGBA32F (OW % 4 == 0 and
// (TN / SW) % 4 == 0).
// 16-bit variants: dy, w (packed or not) and dx in the precision, fp32 sums.
// precisions: fp16 bf16
#extension GL_GOOGLE_include_directive : require
#include "conv2d_common.glsl"

layout(constant_id = 15) const bool PACKED_W = false;

layout(binding = 0) uniform valueSampler DY;   // dy: [N, K, OH, OW]  (R32F, or RGBA32F with VEC_ROWS)
layout(binding = 1) uniform valueSampler Wt;   // w:  [K, cinG, KH, KW] (R32F), or packed (RGBA32F)
layout(binding = 2) writeonly buffer DXbuf { value_t DX[]; };  // dx: [N, C, H, W]

// Column j of the block and kernel column kw meet dy column ow0 + (j + PW − kw·DW) / SW when the
// division is exact (ow0 = first column / SW). The block reads dy columns ow0 + LO … ow0 + HI.
int floorDiv(int a, int b) { return a >= 0 ? a / b : -((b - 1 - a) / b); }
const int LO = int(PW) - int((KW - 1u) * DW) >= 0 ? (int(PW) - int((KW - 1u) * DW)) / int(SW)
                                                   : -((int(SW) - 1 - (int(PW) - int((KW - 1u) * DW))) / int(SW));
const int HI = int(TN - 1u + PW) / int(SW);
const uint SPAN = uint(HI - LO + 1);
const uint SHIFT = uint(LO) & 3u;
// Input rows per invocation (> 1 only with SH == 1: for depthwise convolutions, where the channel
// block is 1, neighbouring rows then share dy rows): YR dy rows from the first row's ohTap[KH − 1].
layout(constant_id = 16) const uint TR = 1;
const uint YR = TR + (KH - 1u) * DH;
bool rowUsed(uint row) {
    for (uint r = 0u; r < TR; ++r)
        for (uint kh = 0u; kh < KH; ++kh)
            if (r + (KH - 1u - kh) * DH == row) return true;
    return false;
}
const uint TI = (TM * TR) % 4u == 0u ? 4u : ((TM * TR) % 2u == 0u ? 2u : 1u);
const uint TJ = TN % 4u == 0u ? 4u : (TN % 2u == 0u ? 2u : 1u);

bool columnTap(uint j, uint kw) { return (int(j + PW) - int(kw * DW) - LO * int(SW)) % int(SW) == 0; }
uint columnIndex(uint j, uint kw) { return uint((int(j + PW) - int(kw * DW) - LO * int(SW)) / int(SW)); }

void main() {
    uint colBlock = gl_GlobalInvocationID.x % p.blocksX;
    uint r = gl_GlobalInvocationID.x / p.blocksX * TR;  // first row within the phase
    uint n = gl_WorkGroupID.z / SH;
    uint phH = gl_WorkGroupID.z % SH;
    uint g = gl_WorkGroupID.y / p.blocksY;
    uint c0 = (gl_WorkGroupID.y % p.blocksY) * TM;   // first input channel, within the group
    uint ih = phH + SH * r;
    uint iw0 = colBlock * TN;
    int ow0 = int(iw0 / SW);
    if (ih >= p.H) return;

    // Block row q = channel m · TR + input row ρ (TR > 1 only with SH == 1).
    float acc[TM * TR][TN];
    [[unroll]] for (uint q = 0u; q < TM * TR; ++q)
        [[unroll]] for (uint j = 0u; j < TN; ++j) acc[q][j] = 0.0;

    // Unpacked: w[k, c, kh, kw] = Wt[(k · cinG + c) · KK + kh · KW + kw], channels clamped at the tail.
    uint wCol[TM];
    [[unroll]] for (uint m = 0u; m < TM; ++m) wCol[m] = min(c0 + m, p.cinG - 1u) * KK;
    // Packed: this block's TM × KK weights of output channel k start at texel wPacked + k · KK · TM / 4.
    uint wPacked = gl_WorkGroupID.y * p.coutG * KK * TM / 4u;

    // Which kernel rows reach this row, and the dy row each reads (oh · SH = ih + PH − kh · DH).
    bool rowTap[KH];
    int ohTap[KH];
    [[unroll]] for (uint kh = 0u; kh < KH; ++kh) {
        int dh = int(phH + PH) - int(kh * DH);
        rowTap[kh] = (dh - floorDiv(dh, int(SH)) * int(SH)) == 0;
        ohTap[kh] = int(r) + floorDiv(dh, int(SH));
    }

    uint plane = (n * p.K + g * p.coutG) * p.OH;
    uint wRow = g * p.coutG * p.cinG * KK;
    for (uint k = 0u; k < p.coutG; ++k, plane += p.OH, wRow += p.cinG * KK) {
        float wv[TM][KK];
        if (PACKED_W) {
            [[unroll]] for (uint t = 0u; t < KK; ++t)
                [[unroll]] for (uint q = 0u; q < TM / 4u; ++q) {
                    vec4 v = FETCH(Wt, int(wPacked + (k * KK + t) * (TM / 4u) + q));
                    [[unroll]] for (uint e = 0u; e < 4u; ++e) wv[4u * q + e][t] = v[e];
                }
        } else {
            [[unroll]] for (uint m = 0u; m < TM; ++m)
                [[unroll]] for (uint t = 0u; t < KK; ++t) wv[m][t] = FETCH(Wt, int(wRow + wCol[m] + t)).x;
        }
        if (SH == 1u) {
            // Every kernel row reaches every input row: the dy rows of the block (row ρ + (KH − 1 −
            // kh) · DH from ohTap[KH − 1] for block row ρ), then register tiles whose accumulators stay
            // in registers over all taps.
            float ys[YR][SPAN];
            [[unroll]] for (uint row = 0u; row < YR; ++row)
                if (rowUsed(row)) LOAD_ROW_WINDOW(ys[row], SPAN, DY, plane, ohTap[KH - 1u] + int(row), p.OH, p.OW, ow0 + LO, VEC_ROWS, SHIFT)
            [[unroll]] for (uint qb = 0u; qb < TM * TR; qb += TI)
                [[unroll]] for (uint jb = 0u; jb < TN; jb += TJ) {
                    float a[TI][TJ];
                    [[unroll]] for (uint i = 0u; i < TI; ++i)
                        [[unroll]] for (uint jj = 0u; jj < TJ; ++jj) a[i][jj] = acc[qb + i][jb + jj];
                    [[unroll]] for (uint kh = 0u; kh < KH; ++kh)
                        [[unroll]] for (uint kw = 0u; kw < KW; ++kw)
                            [[unroll]] for (uint i = 0u; i < TI; ++i)
                                [[unroll]] for (uint jj = 0u; jj < TJ; ++jj) {
                                    uint m = (qb + i) / TR, row = (qb + i) % TR + (KH - 1u - kh) * DH;
                                    if (columnTap(jb + jj, kw))
                                        a[i][jj] = fma(wv[m][kh * KW + kw], ys[row][columnIndex(jb + jj, kw)], a[i][jj]);
                                }
                    [[unroll]] for (uint i = 0u; i < TI; ++i)
                        [[unroll]] for (uint jj = 0u; jj < TJ; ++jj) acc[qb + i][jb + jj] = a[i][jj];
                }
        } else {
            // Only the kernel rows of this row's phase (uniform over the workgroup).
            [[unroll]] for (uint kh = 0u; kh < KH; ++kh) {
                if (!rowTap[kh]) continue;
                float ys[SPAN];
                LOAD_ROW_WINDOW(ys, SPAN, DY, plane, ohTap[kh], p.OH, p.OW, ow0 + LO, VEC_ROWS, SHIFT)
                [[unroll]] for (uint mb = 0u; mb < TM; mb += TI)
                    [[unroll]] for (uint jb = 0u; jb < TN; jb += TJ) {
                        float a[TI][TJ];
                        [[unroll]] for (uint i = 0u; i < TI; ++i)
                            [[unroll]] for (uint jj = 0u; jj < TJ; ++jj) a[i][jj] = acc[mb + i][jb + jj];
                        [[unroll]] for (uint kw = 0u; kw < KW; ++kw)
                            [[unroll]] for (uint i = 0u; i < TI; ++i)
                                [[unroll]] for (uint jj = 0u; jj < TJ; ++jj)
                                    if (columnTap(jb + jj, kw))
                                        a[i][jj] = fma(wv[mb + i][kh * KW + kw], ys[columnIndex(jb + jj, kw)], a[i][jj]);
                        [[unroll]] for (uint i = 0u; i < TI; ++i)
                            [[unroll]] for (uint jj = 0u; jj < TJ; ++jj) acc[mb + i][jb + jj] = a[i][jj];
                    }
            }
        }
    }

    [[unroll]] for (uint m = 0u; m < TM; ++m) {
        uint cg = c0 + m;
        if (cg >= p.cinG) break;
        [[unroll]] for (uint rr = 0u; rr < TR; ++rr) {
            if (ih + rr >= p.H) break;
            uint row = ((n * p.C + g * p.cinG + cg) * p.H + ih + rr) * p.W;
            [[unroll]] for (uint j = 0u; j < TN; ++j)
                if (iw0 + j < p.W) DX[row + iw0 + j] = FROM_FLOAT(acc[m * TR + rr][j]);
        }
    }
}
