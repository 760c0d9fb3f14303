#version 450
// Winograd input transform of a stride-1 3×3 convolution: v[ξ, r, p] = (Bᵀ d B)[ξ] for the α×α
// patch d of channel r under output tile p (zero outside the image, for channels r ≥ R and for
// padded tiles).
//   x: [N, R, H, W] → v: [α², Rp, P]
// One invocation transforms four neighbouring tiles of one row (one vec4 of P) of one channel; it
// reads their (α) × (4T + 2) input window once. Dispatch x = P / 4 invocations, y = Rp.
#include "conv2d_winograd.glsl"
#include "conv2d_rows.glsl"

layout(binding = 0) uniform samplerBuffer X;                // x: [N, R, H, W] (R32F, or RGBA32F with VEC_ROWS)
layout(binding = 1) writeonly buffer Vbuf { vec4 V[]; };    // v: [α², Rp, P / 4] vec4s

const uint SPAN = 4u * TILE + 2u;
// The window starts at column 4T·g − PAD; with VEC_ROWS the vec4 loads start SHIFT floats earlier.
const uint SHIFT = (4u - (PAD & 3u)) & 3u;

void main() {
    uint group = gl_GlobalInvocationID.x;
    uint r = gl_GlobalInvocationID.y;
    uint groups = p.P / 4u;
    if (group >= groups || r >= p.Rp) return;
    uvec3 t = tileGroup(group);   // (n, th, g)

    float xs[ALPHA][SPAN];
    int ih0 = int(t.y * TILE) - int(PAD);
    int iw0 = int(t.z * 4u * TILE) - int(PAD);
    uint plane = (t.x * p.R + min(r, p.R - 1u)) * p.H;
    [[unroll]] for (uint row = 0u; row < ALPHA; ++row) {
        int ih = r < p.R ? ih0 + int(row) : -1;   // a padded channel reads as zero
        LOAD_ROW_WINDOW(xs[row], SPAN, X, plane, ih, p.H, p.W, iw0, VEC_ROWS, SHIFT)
    }

    vec4 v[ALPHA * ALPHA];
    [[unroll]] for (uint j = 0u; j < 4u; ++j) {
        float tile[6][6];
        [[unroll]] for (uint a = 0u; a < ALPHA; ++a)
            [[unroll]] for (uint b = 0u; b < ALPHA; ++b) tile[a][b] = xs[a][j * TILE + b];
        TRANSFORM_2D(tile, inputLine, ALPHA, ALPHA, ALPHA)
        [[unroll]] for (uint a = 0u; a < ALPHA; ++a)
            [[unroll]] for (uint b = 0u; b < ALPHA; ++b) v[a * ALPHA + b][j] = tile[a][b];
    }
    [[unroll]] for (uint xi = 0u; xi < ALPHA * ALPHA; ++xi) V[(xi * p.Rp + r) * groups + group] = v[xi];
}
