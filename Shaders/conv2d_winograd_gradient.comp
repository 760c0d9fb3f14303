#version 450
// Winograd output-gradient transform of a stride-1 3×3 convolution (the adjoint of the output
// transform): the α² values A dy A^T of the T×T output-gradient tile p of channels o … o + 3
// (zero outside the image and for channels o ≥ O), the right operand of the weight-gradient products.
//   dy: [N, O, OH, OW] → d: [α², P, Op]
// One invocation: one tile and four channels (one texel of d per position). Dispatch x = P, y = Op / 4.
#include "conv2d_winograd.glsl"

layout(binding = 0) uniform samplerBuffer DY;               // dy: [N, O, OH, OW] (R32F, or RGBA32F with VEC_ROWS)
layout(binding = 1) writeonly buffer Dbuf { vec4 D[]; };    // d: [α², P, Op / 4] vec4s

void main() {
    uint tile_ = gl_GlobalInvocationID.x;
    uint q = gl_GlobalInvocationID.y;
    if (tile_ >= p.P || q >= p.Op / 4u) return;
    uvec3 t = tileGroup(tile_ / 4u);   // (n, th, g)
    uint oh0 = t.y * TILE, ow0 = (t.z * 4u + tile_ % 4u) * TILE;

    vec4 d[ALPHA * ALPHA];
    [[unroll]] for (uint e = 0u; e < 4u; ++e) {
        uint o = 4u * q + e;
        uint plane = (t.x * p.O + min(o, p.O - 1u)) * p.OH;
        float tile[6][6];
        if (VEC_ROWS && TILE == 4u) {
            // A tile row is one aligned vec4 (OW % 4 == 0): inside the image or wholly outside it.
            [[unroll]] for (uint i = 0u; i < 4u; ++i) {
                bool inside = o < p.O && oh0 + i < p.OH && ow0 < p.OW;
                uint index = (plane + min(oh0 + i, p.OH - 1u)) * p.OW + min(ow0, p.OW - 4u);
                vec4 value = inside ? texelFetch(DY, int(index / 4u)) : vec4(0.0);
                [[unroll]] for (uint k = 0u; k < 4u; ++k) tile[i][k] = value[k];
            }
        } else {
            [[unroll]] for (uint i = 0u; i < TILE; ++i)
                [[unroll]] for (uint k = 0u; k < TILE; ++k) {
                    bool inside = o < p.O && oh0 + i < p.OH && ow0 + k < p.OW;
                    uint index = (plane + min(oh0 + i, p.OH - 1u)) * p.OW + min(ow0 + k, p.OW - 1u);
                    float value = texelFetch(DY, int(index)).x;
                    tile[i][k] = inside ? value : 0.0;
                }
        }
        TRANSFORM_2D(tile, outputLineAdjoint, TILE, TILE, ALPHA)
        [[unroll]] for (uint a = 0u; a < ALPHA; ++a)
            [[unroll]] for (uint b = 0u; b < ALPHA; ++b) d[a * ALPHA + b][e] = tile[a][b];
    }
    [[unroll]] for (uint xi = 0u; xi < ALPHA * ALPHA; ++xi) D[(xi * p.P + tile_) * (p.Op / 4u) + q] = d[xi];
}
