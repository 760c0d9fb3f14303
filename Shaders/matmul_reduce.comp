#version 450
// Split-K epilogue: C[b][i] = alpha · Σ_s P[b·S + s][i] (s in order) + beta · C[b][i] + bias.
// P: [batch · splits][M][N] partial products; C: [batch][M][N] with batch stride strideC.
// 16-bit variants: C and bias in the precision; the partials stay fp32 (R32F).
// precisions: fp16 bf16
#extension GL_GOOGLE_include_directive : require
#include "precision.glsl"
layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;
layout(constant_id = 3) const uint BIAS = 0;   // 0 none, 1 per row, 2 per column

layout(binding = 0) uniform samplerBuffer P;
layout(binding = 1) buffer Cbuf { value_t C[]; };
layout(binding = 2) uniform valueSampler bias;

layout(push_constant) uniform Push { uint M; uint N; uint splits; uint strideC; float alpha; float beta; } p;

void main() {
    uint i = gl_GlobalInvocationID.x;
    uint b = gl_GlobalInvocationID.y;
    if (i >= p.M * p.N) return;
    float sum = 0.0;
    for (uint s = 0u; s < p.splits; ++s) sum += texelFetch(P, int((b * p.splits + s) * p.M * p.N + i)).x;
    uint idx = b * p.strideC + i;
    float v = p.alpha * sum;
    if (p.beta != 0.0) v += p.beta * TO_FLOAT(C[idx]);
    if (BIAS == 1u) v += FETCH(bias, int(i / p.N)).x;
    if (BIAS == 2u) v += FETCH(bias, int(i % p.N)).x;
    C[idx] = FROM_FLOAT(v);
}
