#version 450
// Winograd output transform of a stride-1 3×3 convolution: the T×T outputs of tile p and channel o
// are Aᵀ m A (+ b[o] when VARIANT == 1), m = M[·, o, p] the α² products of the tile.
//   m: [α², O, P] → y: [N, O, OH, OW]
// One invocation: four neighbouring tiles of one row (one texel of M per position) of one channel.
// Dispatch x = P / 4 invocations, y = O.
#include "conv2d_winograd.glsl"

layout(binding = 0) uniform samplerBuffer M;                // m: [α², O, P] (RGBA32F: four tiles per texel)
layout(binding = 1) uniform samplerBuffer Bias;             // b: [O] (R32F; read when VARIANT == 1)
layout(binding = 2) writeonly buffer Ybuf { float Y[]; };   // y: [N, O, OH, OW]
layout(binding = 2) writeonly buffer Ybuf4 { vec4 Y4[]; };  // the same, as vec4s (VEC_ROWS: OW % 4 == 0)

void main() {
    uint group = gl_GlobalInvocationID.x;
    uint o = gl_GlobalInvocationID.y;
    uint groups = p.P / 4u;
    if (group >= groups || o >= p.O) return;
    uvec3 t = tileGroup(group);   // (n, th, g)

    vec4 m[ALPHA * ALPHA];
    [[unroll]] for (uint xi = 0u; xi < ALPHA * ALPHA; ++xi) m[xi] = texelFetch(M, int((xi * p.O + o) * groups + group));
    float b = VARIANT == 1u ? texelFetch(Bias, int(o)).x : 0.0;

    // out[i][j·T + k]: row i of the four tiles side by side.
    float out_[TILE][4u * TILE];
    [[unroll]] for (uint j = 0u; j < 4u; ++j) {
        float tile[6][6];
        [[unroll]] for (uint a = 0u; a < ALPHA; ++a)
            [[unroll]] for (uint c = 0u; c < ALPHA; ++c) tile[a][c] = m[a * ALPHA + c][j];
        TRANSFORM_2D(tile, outputLine, ALPHA, ALPHA, TILE)
        [[unroll]] for (uint i = 0u; i < TILE; ++i)
            [[unroll]] for (uint k = 0u; k < TILE; ++k) out_[i][j * TILE + k] = tile[i][k] + b;
    }
    uint oh0 = t.y * TILE, ow0 = t.z * 4u * TILE;
    [[unroll]] for (uint i = 0u; i < TILE; ++i) {
        if (oh0 + i >= p.OH) break;
        uint row = ((t.x * p.O + o) * p.OH + oh0 + i) * p.OW;
        if (VEC_ROWS) {
            [[unroll]] for (uint q = 0u; q < TILE; ++q)
                if (ow0 + 4u * q < p.OW)
                    Y4[(row + ow0) / 4u + q] = vec4(out_[i][4u * q], out_[i][4u * q + 1u], out_[i][4u * q + 2u], out_[i][4u * q + 3u]);
        } else {
            [[unroll]] for (uint k = 0u; k < 4u * TILE; ++k)
                if (ow0 + k < p.OW) Y[row + ow0 + k] = out_[i][k];
        }
    }
}
