#version 450
// Conv2d backward filter (the gradients of the weights and the bias), NCHW, fp32:
//   dw[k, c, kh, kw] = Σ_{n, oh, ow} dy[n, k, oh, ow] · x[n, g·cinG + c, oh·SH − PH + kh·DH, ow·SW − PW + kw·DW]
//   db[k]            = Σ_{n, oh, ow} dy[n, k, oh, ow]
//
// Deterministic: no atomics. Each invocation owns a block of dw — TM output channels × TC input
// channels × all KK taps — and sums over its rows of (n, oh) in a fixed order, TR rows × TN output
// columns at a time: per step it loads the TM · TR × TN values of dy and the input row windows of its
// TC channels, and multiplies every pair. The rows can be split into contiguous ranges (workgroup z)
// that write partial sums to a scratch buffer; a second pass (VARIANT 2) adds them in split order.
//
// VARIANT 0: partial dw, lanes over blocks of TC input channels: x = ceil(cinG / TC) invocations,
//            workgroup y = groups · blocksY (blocksY = ceil(coutG / TM)): the output channels, and
//            so dy, are the same for the whole workgroup.
// VARIANT 1: partial dw, lanes over (group, output block, input block) flattened (depthwise and other
//            convolutions with few input channels per group): x = groups · blocksY · ceil(cinG / TC).
//   Both: z = splits, rows0 = (n, oh) rows per split; split s writes OUT[s · K·cinG·KK + i].
// VARIANT 2: dw[i] = Σ_s partial[s][i]: x = rows0 (= K·cinG·KK) invocations, rows1 = splits;
//            binding 0 holds the partials.
// VARIANT 3: db[k] = Σ over n, then the plane: x = K invocations; binding 1 holds dy (RGBA32F when
//            VEC_DY, the four lanes of the vector added pairwise at the end).
// 16-bit variants: x and dy in the precision; dw (and its partials) stay fp32 sums (the launcher rounds
// the reduced dw with cast.comp; VARIANT 2 runs in the fp32 kernel), db is stored in the precision.
// precisions: fp16 bf16
#extension GL_GOOGLE_include_directive : require
#include "conv2d_common.glsl"

// Read dy through an RGBA32F view (OW % 4 == 0 and TN % 4 == 0; for VARIANT 3: OH·OW % 4 == 0).
layout(constant_id = 15) const bool VEC_DY = false;

layout(binding = 0) uniform valueSampler X;    // x: [N, C, H, W]  (R32F, or RGBA32F with VEC_ROWS)
layout(binding = 1) uniform valueSampler DY;   // dy: [N, K, OH, OW]
layout(binding = 2) writeonly buffer OutBuf { float OUT[]; };  // dw: [splits][K, cinG, KH, KW]
#if defined(PRECISION_FP16) || defined(PRECISION_BF16)
layout(binding = 2) writeonly buffer BiasBuf { value_t DB[]; };  // db: [K] in the precision
#else
#define DB OUT
#endif

const uint SPAN = (TN - 1u) * SW + (KW - 1u) * DW + 1u;
const bool WINDOW = (VEC_ROWS ? 1u : 0u) + (SPAN <= TN * KW ? 1u : 0u) != 0u;
const uint XLEN = WINDOW ? SPAN : TN * KW;
const uint SHIFT = (4u - (PW & 3u)) & 3u;
// Output rows per step (> 1 for depthwise convolutions: neighbouring rows share input rows); block
// row r reads input row r · SH + kh · DH of the XR rows from oh0 · SH − PH.
layout(constant_id = 16) const uint TR = 1;
const uint XR = (TR - 1u) * SH + (KH - 1u) * DH + 1u;
bool rowUsed(uint xr) {
    for (uint r = 0u; r < TR; ++r)
        for (uint kh = 0u; kh < KH; ++kh)
            if (r * SH + kh * DH == xr) return true;
    return false;
}
// Input channels per invocation (dy values are reused for all of them).
layout(constant_id = 17) const uint TC = 1;
// Register tile rows (output channels) of the inner loop; divides TM.
const uint TI = TM % 8u == 0u ? 8u : (TM % 4u == 0u ? 4u : (TM % 2u == 0u ? 2u : 1u));

void reducePartials() {
    uint i = gl_GlobalInvocationID.x;
    if (i >= p.rows0) return;
    float sum = 0.0;
    for (uint s = 0u; s < p.rows1; ++s) sum += FETCH(X, int(s * p.rows0 + i)).x;
    OUT[i] = sum;
}

void biasGradient() {
    uint k = gl_GlobalInvocationID.x;
    if (k >= p.K) return;
    uint planeSize = p.OH * p.OW;
    if (VEC_DY) {
        vec4 sum = vec4(0.0);
        for (uint n = 0u; n < p.N; ++n) {
            uint base = (n * p.K + k) * planeSize / 4u;
            for (uint i = 0u; i < planeSize / 4u; ++i) sum += FETCH(DY, int(base + i));
        }
        DB[k] = FROM_FLOAT((sum.x + sum.y) + (sum.z + sum.w));
    } else {
        float sum = 0.0;
        for (uint n = 0u; n < p.N; ++n) {
            uint base = (n * p.K + k) * planeSize;
            for (uint i = 0u; i < planeSize; ++i) sum += FETCH(DY, int(base + i)).x;
        }
        DB[k] = FROM_FLOAT(sum);
    }
}

void main() {
    if (VARIANT == 2u) { reducePartials(); return; }
    if (VARIANT == 3u) { biasGradient(); return; }

    uint c0, g, k0;   // first input channel of the block (TC channels), group, first output channel
    uint groups = p.C / p.cinG;
    uint cBlocks = (p.cinG + TC - 1u) / TC;
    if (VARIANT == 0u) {
        c0 = gl_GlobalInvocationID.x * TC;
        g = gl_WorkGroupID.y / p.blocksY;
        k0 = (gl_WorkGroupID.y % p.blocksY) * TM;
    } else {
        uint index = gl_GlobalInvocationID.x;
        c0 = index % cBlocks * TC;
        uint rest = index / cBlocks;
        k0 = (rest % p.blocksY) * TM;
        g = rest / p.blocksY;
    }
    if (c0 >= p.cinG || g >= groups) return;

    // Block row q = output channel m · TC + input channel cc.
    float acc[TM * TC][KK];
    [[unroll]] for (uint q = 0u; q < TM * TC; ++q)
        [[unroll]] for (uint t = 0u; t < KK; ++t) acc[q][t] = 0.0;

    uint kClamped[TM];
    [[unroll]] for (uint m = 0u; m < TM; ++m) kClamped[m] = g * p.coutG + min(k0 + m, p.coutG - 1u);

    uint rowEnd = min(p.N * p.OH, (gl_WorkGroupID.z + 1u) * p.rows0);
    for (uint row = gl_WorkGroupID.z * p.rows0; row < rowEnd; ) {
        // TR rows of one image at a time (fewer at the end of the image or of the split: the dy
        // rows past ohEnd read as zero).
        uint n = row / p.OH;
        uint oh0 = row % p.OH;
        uint ohEnd = min(p.OH, oh0 + min(TR, rowEnd - row));
        row += ohEnd - oh0;
        uint xPlane = (n * p.C + g * p.cinG + c0) * p.H;
        int ih0 = int(oh0 * SH) - int(PH);
        for (uint ow0 = 0u; ow0 < p.OW; ow0 += TN) {
            // dy block row q = channel m · TR + row r.
            float d[TM * TR][TN];
            [[unroll]] for (uint m = 0u; m < TM; ++m) {
                uint dyPlane = (n * p.K + kClamped[m]) * p.OH;
                [[unroll]] for (uint r = 0u; r < TR; ++r)
                    LOAD_ROW_WINDOW(d[m * TR + r], TN, DY, dyPlane, int(oh0 + r), ohEnd, p.OW, int(ow0), VEC_DY, 0u)
            }
            int iw0 = int(ow0 * SW) - int(PW);
            float xs[TC * XR][XLEN];   // row cc · XR + xr: input channel c0 + cc (clamped)
            [[unroll]] for (uint cc = 0u; cc < TC; ++cc)
                [[unroll]] for (uint xr = 0u; xr < XR; ++xr) {
                    if (!rowUsed(xr)) continue;
                    int ih = ih0 + int(xr);
                    uint plane = xPlane + min(cc, p.cinG - 1u - c0) * p.H;
                    if (WINDOW) {
                        LOAD_ROW_WINDOW(xs[cc * XR + xr], SPAN, X, plane, ih, p.H, p.W, iw0, VEC_ROWS, SHIFT)
                    } else {
                        [[unroll]] for (uint kw = 0u; kw < KW; ++kw) {
                            float tap[TN];
                            LOAD_ROW_WINDOW_STRIDED(tap, TN, SW, X, plane, ih, p.H, p.W, iw0 + int(kw * DW))
                            [[unroll]] for (uint j = 0u; j < TN; ++j) xs[cc * XR + xr][kw * TN + j] = tap[j];
                        }
                    }
                }
            // Register tiles of TI channels × KW taps of one kernel row: per row r and column j,
            // TI values of dy and KW of x feed TI · KW multiply-adds.
            [[unroll]] for (uint mb = 0u; mb < TM; mb += TI)
                [[unroll]] for (uint cc = 0u; cc < TC; ++cc)
                    [[unroll]] for (uint kh = 0u; kh < KH; ++kh) {
                        float a[TI][KW];
                        [[unroll]] for (uint i = 0u; i < TI; ++i)
                            [[unroll]] for (uint kw = 0u; kw < KW; ++kw) a[i][kw] = acc[(mb + i) * TC + cc][kh * KW + kw];
                        [[unroll]] for (uint r = 0u; r < TR; ++r)
                            [[unroll]] for (uint j = 0u; j < TN; ++j)
                                [[unroll]] for (uint i = 0u; i < TI; ++i)
                                    [[unroll]] for (uint kw = 0u; kw < KW; ++kw)
                                        a[i][kw] = fma(d[(mb + i) * TR + r][j], xs[cc * XR + r * SH + kh * DH][WINDOW ? j * SW + kw * DW : kw * TN + j], a[i][kw]);
                        [[unroll]] for (uint i = 0u; i < TI; ++i)
                            [[unroll]] for (uint kw = 0u; kw < KW; ++kw) acc[(mb + i) * TC + cc][kh * KW + kw] = a[i][kw];
                    }
        }
    }

    uint base = gl_WorkGroupID.z * p.K * p.cinG * KK;
    [[unroll]] for (uint m = 0u; m < TM; ++m) {
        uint kg = k0 + m;
        if (kg >= p.coutG) break;
        [[unroll]] for (uint cc = 0u; cc < TC; ++cc) {
            if (c0 + cc >= p.cinG) break;
            uint out0 = base + ((g * p.coutG + kg) * p.cinG + c0 + cc) * KK;
            [[unroll]] for (uint t = 0u; t < KK; ++t) OUT[out0 + t] = acc[m * TC + cc][t];
        }
    }
}
