#version 450
// Conv2d forward as an implicit GEMM (no im2col buffer), NCHW, fp32, with groups and optional bias:
//   y[n, k, oh, ow] = b[k] + Σ_{c, kh, kw} w[k, c, kh, kw] · x[n, g·cinG + c, oh·SH − PH + kh·DH, ow·SW − PW + kw·DW]
// where g = k / coutG is the group of output channel k. Also the weight packing passes of the
// forward and backward-data kernels (VARIANT 2 and 3, below).
//
// Each invocation computes a TM · TR × TN register block: TM output channels × TR output rows × TN
// consecutive output columns. The channel block is uniform over a workgroup (the weights are the same
// for every lane), the columns differ per lane. Per input channel it loads the KH input row windows
// (SPAN values each) and the TM × KK weights once and uses them for all TM · TN · KK products.
//
// Dispatch: x = ceil(OH / TR) · blocksX invocations (blocksX = ceil(OW / TN)), y = groups · blocksY
// workgroups (blocksY = ceil(coutG / TM)), z = N. VARIANT 0: no bias, 1: bias.
//
// On lavapipe every texelFetch is a call (bounds check, gather): the fetch count per multiply-add
// decides the speed. PACKED_W (TM % 4 == 0) reads weights that VARIANT 2 repacked so that the TM
// channels of a tap are adjacent: TM / 4 RGBA32F fetches per tap instead of TM R32F fetches.
// 16-bit variants: x, w, b, the packed weights and y in the precision (RGBA16 / R16 views), fp32 sums.
// precisions: fp16 bf16
#extension GL_GOOGLE_include_directive : require
#include "conv2d_common.glsl"

layout(constant_id = 15) const bool PACKED_W = false;

layout(binding = 0) uniform valueSampler X;    // x: [N, C, H, W]  (R32F, or RGBA32F with VEC_ROWS)
layout(binding = 1) uniform valueSampler Wt;   // w: [K, cinG, KH, KW] (R32F), or packed (RGBA32F)
layout(binding = 2) uniform valueSampler Bias; // b: [K]  (R32F, read when VARIANT == 1)
layout(binding = 3) writeonly buffer Ybuf { value_t Y[]; };  // y: [N, K, OH, OW]

// Input columns one invocation reads for one kernel row.
const uint SPAN = (TN - 1u) * SW + (KW - 1u) * DW + 1u;
// Load the whole window when it has no more values than the taps use (always for stride 1);
// otherwise (e.g. 1×1 with stride 2) fetch each tap's column.
const bool WINDOW = (VEC_ROWS ? 1u : 0u) + (SPAN <= TN * KW ? 1u : 0u) != 0u;
const uint XLEN = WINDOW ? SPAN : TN * KW;
// The window starts at ow0 − PW; with VEC_ROWS, ow0 % 4 == 0, so it sits SHIFT floats into a texel.
const uint SHIFT = (4u - (PW & 3u)) & 3u;
// Output rows per invocation (> 1 for depthwise convolutions, where the channel block is 1: the
// input rows are then shared by neighbouring output rows). Block row r reads input row
// r · SH + kh · DH of the XR rows from oh0 · SH − PH.
layout(constant_id = 16) const uint TR = 1;
const uint XR = (TR - 1u) * SH + (KH - 1u) * DH + 1u;
bool rowUsed(uint row) {
    for (uint r = 0u; r < TR; ++r)
        for (uint kh = 0u; kh < KH; ++kh)
            if (r * SH + kh * DH == row) return true;
    return false;
}
// Register tile of the inner loop (divides TM · TR × TN).
const uint TI = (TM * TR) % 4u == 0u ? 4u : ((TM * TR) % 2u == 0u ? 2u : 1u);
const uint TJ = TN % 4u == 0u ? 4u : (TN % 2u == 0u ? 2u : 1u);

// VARIANT 2 / 3: weight packing. Block b of TM channels of group g (gb = g · blocksY + b), reduction
// channel r, tap t, lane i → packed[((gb · R + r) · KK + t) · TM + i]; zero past the last channel.
//   2 (forward):        channels = output channels (blocksY = ceil(coutG / TM)), R = cinG,
//                       source w[g·coutG + b·TM + i, r, t].
//   3 (backward data):  channels = input channels (blocksY = ceil(cinG / TM)), R = coutG,
//                       source w[g·coutG + r, b·TM + i, t].
// Reads w through binding 1, writes binding 3; x = groups · blocksY · R · KK · TM invocations.
void packWeights() {
    uint d = gl_GlobalInvocationID.x;
    bool forward = VARIANT == 2u;
    uint reduction = forward ? p.cinG : p.coutG;
    uint channels = forward ? p.coutG : p.cinG;
    uint groups = p.C / p.cinG;
    if (d >= groups * p.blocksY * reduction * KK * TM) return;
    uint i = d % TM;
    uint t = (d / TM) % KK;
    uint r = (d / (TM * KK)) % reduction;
    uint gb = d / (TM * KK * reduction);
    uint g = gb / p.blocksY;
    uint channel = (gb % p.blocksY) * TM + i;
    float v = 0.0;
    if (channel < channels) {
        uint src = forward ? ((g * p.coutG + channel) * p.cinG + r) * KK + t
                           : ((g * p.coutG + r) * p.cinG + channel) * KK + t;
        v = FETCH(Wt, int(src)).x;
    }
    Y[d] = FROM_FLOAT(v);
}

void main() {
    if (VARIANT >= 2u) { packWeights(); return; }

    uint owBlock = gl_GlobalInvocationID.x % p.blocksX;
    uint oh0 = gl_GlobalInvocationID.x / p.blocksX * TR;
    uint n = gl_WorkGroupID.z;
    if (oh0 >= p.OH) return;
    uint g = gl_WorkGroupID.y / p.blocksY;
    uint k0 = (gl_WorkGroupID.y % p.blocksY) * TM;   // first output channel, within the group
    uint ow0 = owBlock * TN;

    // Block row q = channel m · TR + output row r.
    float acc[TM * TR][TN];
    [[unroll]] for (uint q = 0u; q < TM * TR; ++q)
        [[unroll]] for (uint j = 0u; j < TN; ++j) acc[q][j] = 0.0;

    // Unpacked weights: the rows of the block's channels (clamped at the tail; not stored).
    uint wRow[TM];
    [[unroll]] for (uint m = 0u; m < TM; ++m) wRow[m] = (g * p.coutG + min(k0 + m, p.coutG - 1u)) * p.cinG * KK;
    // Packed weights: this block's TM × KK weights of input channel c start at texel wPacked + c · KK · TM / 4.
    uint wPacked = gl_WorkGroupID.y * p.cinG * KK * TM / 4u;

    int ih0 = int(oh0 * SH) - int(PH);
    int iw0 = int(ow0 * SW) - int(PW);
    uint plane = (n * p.C + g * p.cinG) * p.H;
    for (uint c = 0u; c < p.cinG; ++c, plane += p.H) {
        // The TM × KK weights and the input row windows of this input channel …
        float wv[TM][KK];
        if (PACKED_W) {
            [[unroll]] for (uint t = 0u; t < KK; ++t)
                [[unroll]] for (uint q = 0u; q < TM / 4u; ++q) {
                    vec4 v = FETCH(Wt, int(wPacked + (c * KK + t) * (TM / 4u) + q));
                    [[unroll]] for (uint e = 0u; e < 4u; ++e) wv[4u * q + e][t] = v[e];
                }
        } else {
            [[unroll]] for (uint m = 0u; m < TM; ++m)
                [[unroll]] for (uint t = 0u; t < KK; ++t) wv[m][t] = FETCH(Wt, int(wRow[m] + c * KK + t)).x;
        }
        float xs[XR][XLEN];
        [[unroll]] for (uint row = 0u; row < XR; ++row) {
            if (!rowUsed(row)) continue;
            int ih = ih0 + int(row);
            if (WINDOW) {
                LOAD_ROW_WINDOW(xs[row], SPAN, X, plane, ih, p.H, p.W, iw0, VEC_ROWS, SHIFT)
            } else {
                [[unroll]] for (uint kw = 0u; kw < KW; ++kw) {
                    float tap[TN];
                    LOAD_ROW_WINDOW_STRIDED(tap, TN, SW, X, plane, ih, p.H, p.W, iw0 + int(kw * DW))
                    [[unroll]] for (uint j = 0u; j < TN; ++j) xs[row][kw * TN + j] = tap[j];
                }
            }
        }
        // … then the block in register-sized TI × TJ tiles: a tile's accumulators stay in registers
        // over all KK taps, and each tap loads TI weights and TJ inputs for TI · TJ multiply-adds.
        [[unroll]] for (uint qb = 0u; qb < TM * TR; qb += TI)
            [[unroll]] for (uint jb = 0u; jb < TN; jb += TJ) {
                float a[TI][TJ];
                [[unroll]] for (uint i = 0u; i < TI; ++i)
                    [[unroll]] for (uint jj = 0u; jj < TJ; ++jj) a[i][jj] = acc[qb + i][jb + jj];
                [[unroll]] for (uint kh = 0u; kh < KH; ++kh)
                    [[unroll]] for (uint kw = 0u; kw < KW; ++kw)
                        [[unroll]] for (uint i = 0u; i < TI; ++i)
                            [[unroll]] for (uint jj = 0u; jj < TJ; ++jj) {
                                uint m = (qb + i) / TR, row = (qb + i) % TR * SH + kh * DH, j = jb + jj;
                                a[i][jj] = fma(wv[m][kh * KW + kw], xs[row][WINDOW ? j * SW + kw * DW : kw * TN + j], a[i][jj]);
                            }
                [[unroll]] for (uint i = 0u; i < TI; ++i)
                    [[unroll]] for (uint jj = 0u; jj < TJ; ++jj) acc[qb + i][jb + jj] = a[i][jj];
            }
    }

    [[unroll]] for (uint m = 0u; m < TM; ++m) {
        uint kg = k0 + m;
        if (kg >= p.coutG) break;
        uint k = g * p.coutG + kg;
        float b = VARIANT == 1u ? FETCH(Bias, int(k)).x : 0.0;
        [[unroll]] for (uint r = 0u; r < TR; ++r) {
            if (oh0 + r >= p.OH) break;
            uint yRow = ((n * p.K + k) * p.OH + oh0 + r) * p.OW;
            [[unroll]] for (uint j = 0u; j < TN; ++j)
                if (ow0 + j < p.OW) Y[yRow + ow0 + j] = FROM_FLOAT(acc[m * TR + r][j] + b);
        }
    }
}
