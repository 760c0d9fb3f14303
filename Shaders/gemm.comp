#version 450
// C = alpha * A * B + beta * C, any M, N, K (edges bounds-checked).
// A: [M, K], B: [K, N] row-major, read through R32F texel buffers; C: [M, N].
// Each invocation computes a TM x TN block of C held in registers; no shared memory, no barriers
// (on lavapipe both are slow paths).
layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;
layout(constant_id = 3) const uint TM = 4;
layout(constant_id = 4) const uint TN = 4;

layout(binding = 0) uniform samplerBuffer A;
layout(binding = 1) uniform samplerBuffer B;
layout(binding = 2) buffer Cbuf { float C[]; };

layout(push_constant) uniform Push { uint M; uint N; uint K; float alpha; float beta; } p;

void main() {
    uint col0 = gl_GlobalInvocationID.x * TN;
    uint row0 = gl_GlobalInvocationID.y * TM;
    if (row0 >= p.M || col0 >= p.N) return;

    float acc[TM][TN];
    for (uint i = 0u; i < TM; ++i)
        for (uint j = 0u; j < TN; ++j) acc[i][j] = 0.0;

    // Clamp loads at the edges (results outside C are discarded below).
    for (uint k = 0u; k < p.K; ++k) {
        float b[TN];
        for (uint j = 0u; j < TN; ++j) b[j] = texelFetch(B, int(k * p.N + min(col0 + j, p.N - 1u))).x;
        for (uint i = 0u; i < TM; ++i) {
            float a = texelFetch(A, int(min(row0 + i, p.M - 1u) * p.K + k)).x;
            for (uint j = 0u; j < TN; ++j) acc[i][j] += a * b[j];
        }
    }

    for (uint i = 0u; i < TM; ++i) {
        uint row = row0 + i;
        if (row >= p.M) break;
        for (uint j = 0u; j < TN; ++j) {
            uint col = col0 + j;
            if (col >= p.N) break;
            uint idx = row * p.N + col;
            float prior = p.beta == 0.0 ? 0.0 : p.beta * C[idx];
            C[idx] = p.alpha * acc[i][j] + prior;
        }
    }
}
