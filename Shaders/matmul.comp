#version 450
// Register-blocked GEMM reading both operands through RGBA32F texel buffers (the fast load path on
// lavapipe): no shared memory, no barriers.
//   A: [batch][M][K4] vec4 texels (row-major A, K padded to a multiple of 4 with zeros)
//   B: [batch][K4*4][N4] vec4 texels (row-major B, rows padded like K, N padded to a multiple of 4)
//   C: [batch][M][N] floats, row stride N.
// Each invocation computes TM rows × NB vec4 columns of C (TM × 4·NB outputs) in registers; the row
// block is workgroup-uniform, columns follow gl_GlobalInvocationID.x.
// Split-K: gl_WorkGroupID.z = batch · splits + split; with splits > 1 the raw partial sums go to
// P[z][M][N] (bound as C) and matmul_reduce.comp finishes the epilogue in a fixed order; the same
// path sums the products of all batch entries into one C.
// 16-bit variants: A, B (RGBA16 views), bias, C and its old values in the precision; sums and the
// partial products stay fp32.
// precisions: fp16 bf16
#extension GL_GOOGLE_include_directive : require
#include "precision.glsl"
layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;
layout(constant_id = 3) const uint TM = 16;
layout(constant_id = 4) const uint NB = 4;
layout(constant_id = 5) const uint BIAS = 0;   // 0 none, 1 per row (bias[M]), 2 per column (bias[N])
layout(constant_id = 6) const bool ACCUMULATE = false;   // beta ≠ 0: add beta · (C before the product)

layout(binding = 0) uniform valueSampler A;
layout(binding = 1) uniform valueSampler B;
// C is write-only (on lavapipe a read-write storage buffer costs about a fifth more per output); with
// ACCUMULATE its old values come through binding 4, the same memory as a texel buffer.
layout(binding = 2) writeonly buffer Cbuf { value_t C[]; };
// The same memory as vec4s, for whole-texel stores when rows are aligned to 4 elements.
layout(binding = 2) writeonly buffer Cbuf4 { value4_t C4[]; };
// The 16-bit variants write partial products (partial != 0) in fp32: the same memory as floats. In the fp32
// kernel C is that already (STORE_PARTIAL is empty).
#if defined(PRECISION_FP16) || defined(PRECISION_BF16)
layout(binding = 2) writeonly buffer Pbuf { float P[]; };
layout(binding = 2) writeonly buffer Pbuf4 { vec4 P4[]; };
#define STORE_PARTIAL(BUF, i, v) if (partial) BUF[i] = v; else
#else
#define STORE_PARTIAL(BUF, i, v)
#endif
layout(binding = 3) uniform valueSampler bias;
layout(binding = 4) uniform valueSampler Cold;   // C before this product (R32F), read with ACCUMULATE

layout(push_constant) uniform Push {
    uint M; uint N; uint K4; uint N4;
    uint strideA4;   // texels between batch entries of A (0 broadcasts one A)
    uint strideB4;   // texels between batch entries of B
    uint strideC;    // floats between batch entries of C
    uint splits;     // K slices; 1 = no split
    uint chunk4;     // texels of K per slice
    uint partial;    // 1: write raw partial products to P[z] (split-K or a sum over the batch)
    float alpha; float beta;
} p;

void main() {
    uint z = gl_WorkGroupID.z;
    uint batch = z / p.splits;
    uint split = z - batch * p.splits;
    uint row0 = gl_WorkGroupID.y * TM;
    uint col0 = gl_GlobalInvocationID.x * NB;   // in vec4 columns
    if (row0 >= p.M || col0 >= p.N4) return;

    // Clamped load offsets: rows/columns past the edge load valid data whose results are dropped.
    int aRow[TM];
    for (uint i = 0u; i < TM; ++i) aRow[i] = int(batch * p.strideA4 + min(row0 + i, p.M - 1u) * p.K4);
    int bCol[NB];
    for (uint j = 0u; j < NB; ++j) bCol[j] = int(batch * p.strideB4 + min(col0 + j, p.N4 - 1u));

    vec4 acc[TM][NB];
    for (uint i = 0u; i < TM; ++i)
        for (uint j = 0u; j < NB; ++j) acc[i][j] = vec4(0.0);

    uint kBegin = split * p.chunk4;
    uint kEnd = min(p.K4, kBegin + p.chunk4);
    for (uint k4 = kBegin; k4 < kEnd; ++k4) {
        vec4 b[4][NB];
        int rowB = int(k4 * 4u * p.N4);
        for (uint kk = 0u; kk < 4u; ++kk)
            for (uint j = 0u; j < NB; ++j) b[kk][j] = FETCH(B, bCol[j] + rowB + int(kk * p.N4));
        for (uint i = 0u; i < TM; ++i) {
            vec4 a = FETCH(A, aRow[i] + int(k4));
            for (uint j = 0u; j < NB; ++j)
                acc[i][j] += a.x * b[0][j] + a.y * b[1][j] + a.z * b[2][j] + a.w * b[3][j];
        }
    }

    bool partial = p.partial != 0u;
    uint base = partial ? z * p.M * p.N : batch * p.strideC;
    // vec4 stores need every row of C to start on a 16-byte boundary.
    bool aligned = (p.N & 3u) == 0u && (base & 3u) == 0u;
    for (uint i = 0u; i < TM; ++i) {
        uint row = row0 + i;
        if (row >= p.M) break;
        for (uint j = 0u; j < NB; ++j) {
            uint col4 = col0 + j;
            if (col4 >= p.N4) break;
            vec4 v = acc[i][j];
            uint idx = base + row * p.N + col4 * 4u;
            if (!partial) {
                v *= p.alpha;
                if (BIAS == 1u) v += vec4(FETCH(bias, int(row)).x);
                if (BIAS == 2u) {
                    uint c = min(col4 * 4u, p.N - 1u);
                    v += vec4(FETCH(bias, int(c)).x, FETCH(bias, int(min(c + 1u, p.N - 1u))).x,
                              FETCH(bias, int(min(c + 2u, p.N - 1u))).x, FETCH(bias, int(min(c + 3u, p.N - 1u))).x);
                }
            }
            if (aligned) {
                if (ACCUMULATE && !partial)
                    v += p.beta * vec4(FETCH(Cold, int(idx)).x, FETCH(Cold, int(idx + 1u)).x,
                                       FETCH(Cold, int(idx + 2u)).x, FETCH(Cold, int(idx + 3u)).x);
                STORE_PARTIAL(P4, idx >> 2, v) C4[idx >> 2] = FROM_VEC4(v);
            } else {
                for (uint e = 0u; e < 4u; ++e) {
                    if (col4 * 4u + e >= p.N) break;
                    float value = v[e];
                    if (ACCUMULATE && !partial) value += p.beta * FETCH(Cold, int(idx + e)).x;
                    STORE_PARTIAL(P, idx + e, value) C[idx + e] = FROM_FLOAT(value);
                }
            }
        }
    }
}
