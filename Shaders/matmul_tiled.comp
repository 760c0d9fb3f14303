#version 450
// Classic shared-memory tiled GEMM for GPUs: a BM×BN tile of C per workgroup, BK-deep slices of A
// and B staged in shared memory, TM×TN outputs per invocation. Operands are read with arbitrary
// row/column strides, so transposes need no packing pass:
//   A(m, k) = A[b·strideA + m·rsA + k·csA],  B(k, n) = B[b·strideB + k·rsB + n·csB]
//   C: [batch][M][N] with batch stride strideC.
// Split-K works as in matmul.comp (gl_WorkGroupID.z = batch · splits + split; partials to P).
// 16-bit variants: A, B, bias and C in the precision; shared tiles, sums and partials stay fp32.
// precisions: fp16 bf16
#extension GL_GOOGLE_include_directive : require
#include "precision.glsl"
layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;   // 16 × 16
layout(constant_id = 3) const uint BIAS = 0;
const uint TM = 4u;
const uint TN = 4u;
const uint BK = 16u;

layout(binding = 0) readonly buffer Abuf { value_t A[]; };
layout(binding = 1) readonly buffer Bbuf { value_t B[]; };
layout(binding = 2) buffer Cbuf { value_t C[]; };
// The 16-bit variants write partial products in fp32: the same memory as floats (C itself in the fp32 kernel).
#if defined(PRECISION_FP16) || defined(PRECISION_BF16)
layout(binding = 2) buffer Pbuf { float P[]; };
#define STORE_PARTIAL(i, v) if (partial) P[i] = v; else
#else
#define STORE_PARTIAL(i, v)
#endif
layout(binding = 3) uniform valueSampler bias;

layout(push_constant) uniform Push {
    uint M; uint N; uint K;
    uint rsA; uint csA; uint rsB; uint csB;
    uint strideA; uint strideB; uint strideC;
    uint splits; uint chunk; uint partial;
    float alpha; float beta;
} p;

shared float As[BK][16 * TM];
shared float Bs[BK][16 * TN];

void main() {
    const uint LX = gl_WorkGroupSize.x;
    const uint LY = gl_WorkGroupSize.y;
    uint BM = LY * TM;
    uint BN = LX * TN;
    uint tx = gl_LocalInvocationID.x;
    uint ty = gl_LocalInvocationID.y;
    uint tid = ty * LX + tx;
    uint threads = LX * LY;
    uint z = gl_WorkGroupID.z;
    uint batch = z / p.splits;
    uint split = z - batch * p.splits;
    uint rowBase = gl_WorkGroupID.y * BM;
    uint colBase = gl_WorkGroupID.x * BN;
    uint aBase = batch * p.strideA;
    uint bBase = batch * p.strideB;

    float acc[TM][TN];
    for (uint i = 0u; i < TM; ++i)
        for (uint j = 0u; j < TN; ++j) acc[i][j] = 0.0;

    uint kBegin = split * p.chunk;
    uint kEnd = min(p.K, kBegin + p.chunk);
    for (uint k0 = kBegin; k0 < kEnd; k0 += BK) {
        for (uint e = tid; e < BK * BM; e += threads) {
            uint kk = e / BM, m = e % BM;
            uint gm = rowBase + m, gk = k0 + kk;
            As[kk][m] = (gm < p.M && gk < kEnd) ? TO_FLOAT(A[aBase + gm * p.rsA + gk * p.csA]) : 0.0;
        }
        for (uint e = tid; e < BK * BN; e += threads) {
            uint kk = e / BN, n = e % BN;
            uint gn = colBase + n, gk = k0 + kk;
            Bs[kk][n] = (gn < p.N && gk < kEnd) ? TO_FLOAT(B[bBase + gk * p.rsB + gn * p.csB]) : 0.0;
        }
        barrier();
        for (uint kk = 0u; kk < BK; ++kk) {
            float a[TM];
            float b[TN];
            for (uint i = 0u; i < TM; ++i) a[i] = As[kk][ty + i * LY];
            for (uint j = 0u; j < TN; ++j) b[j] = Bs[kk][tx + j * LX];
            for (uint i = 0u; i < TM; ++i)
                for (uint j = 0u; j < TN; ++j) acc[i][j] += a[i] * b[j];
        }
        barrier();
    }

    bool partial = p.partial != 0u;
    uint base = partial ? z * p.M * p.N : batch * p.strideC;
    for (uint i = 0u; i < TM; ++i) {
        uint row = rowBase + ty + i * LY;
        if (row >= p.M) continue;
        for (uint j = 0u; j < TN; ++j) {
            uint col = colBase + tx + j * LX;
            if (col >= p.N) continue;
            uint idx = base + row * p.N + col;
            float v = acc[i][j];
            if (!partial) {
                v *= p.alpha;
                if (p.beta != 0.0) v += p.beta * TO_FLOAT(C[idx]);
                if (BIAS == 1u) v += FETCH(bias, int(row)).x;
                if (BIAS == 2u) v += FETCH(bias, int(col)).x;
            }
            STORE_PARTIAL(idx, v) C[idx] = FROM_FLOAT(v);
        }
    }
}
