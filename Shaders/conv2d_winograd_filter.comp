#version 450
// Winograd filter transforms of a 3×3 convolution (VARIANT): 0: u = G g Gᵀ of the forward filters,
// 1: the same for backward data (g = the filter of input channel o and output channel r rotated by
// 180°), 2: the weight gradient dw = Gᵀ du G from the products du of the backward-filter pass.
//   0: w: [O, R, 3, 3]             → u: [α², O, Rp] (zero for r ≥ R)
//   1: w: [R, O, 3, 3]             → u: [α², O, Rp]
//   2: du: [α², Rp, Op] (du[ξ, r, o]) → dw: [O, R, 3, 3]
// One invocation per (r, o): dispatch x = Rp (0, 1) or R (2), y = O.
#include "conv2d_winograd.glsl"

layout(binding = 0) uniform samplerBuffer Src;              // w (0, 1) or du (2), R32F
layout(binding = 1) writeonly buffer Dst { float D[]; };    // u (0, 1) or dw (2)

void main() {
    uint r = gl_GlobalInvocationID.x;
    uint o = gl_GlobalInvocationID.y;
    if (o >= p.O || r >= (VARIANT == 2u ? p.R : p.Rp)) return;
    float tile[6][6];
    if (VARIANT == 2u) {
        [[unroll]] for (uint a = 0u; a < ALPHA; ++a)
            [[unroll]] for (uint b = 0u; b < ALPHA; ++b)
                tile[a][b] = texelFetch(Src, int(((a * ALPHA + b) * p.Rp + r) * p.Op + o)).x;
        TRANSFORM_2D(tile, filterLineAdjoint, ALPHA, ALPHA, 3u)
        [[unroll]] for (uint a = 0u; a < 3u; ++a)
            [[unroll]] for (uint b = 0u; b < 3u; ++b) D[((o * p.R + r) * 3u + a) * 3u + b] = tile[a][b];
        return;
    }
    uint source = VARIANT == 0u ? (o * p.R + min(r, p.R - 1u)) * 9u : (min(r, p.R - 1u) * p.O + o) * 9u;
    [[unroll]] for (uint a = 0u; a < 3u; ++a)
        [[unroll]] for (uint b = 0u; b < 3u; ++b) {
            uint tap = VARIANT == 0u ? a * 3u + b : 8u - (a * 3u + b);
            tile[a][b] = r < p.R ? texelFetch(Src, int(source + tap)).x : 0.0;
        }
    TRANSFORM_2D(tile, filterLine, 3u, 3u, ALPHA)
    [[unroll]] for (uint a = 0u; a < ALPHA; ++a)
        [[unroll]] for (uint b = 0u; b < ALPHA; ++b) D[((a * ALPHA + b) * p.O + o) * p.Rp + r] = tile[a][b];
}
