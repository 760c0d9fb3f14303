// Shared declarations of the Winograd convolution kernels (conv2d_winograd_input.comp,
// conv2d_winograd_filter.comp, conv2d_winograd_output.comp, conv2d_winograd_gradient.comp).
//
// F(T×T, 3×3) computes a T×T output tile of a stride-1 3×3 convolution from an α×α input patch
// d (α = T + 2) as  y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A,  so the products over channels become α² matrix
// products (one per position ξ of the α×α transformed tile), done by the GEMM kernels:
//   M[ξ] [O, P] = U[ξ] [O, R] · V[ξ] [R, P]   (O output channels, R reduction channels, P tiles).
// T = 4 (α = 6, 36 products; 4× fewer multiplies than direct) or T = 2 (α = 4, 16 products; 2.25×).
// Matrices: Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks" (2016).
//
// Tiles: p = ((n − n0) · tilesH + th) · tilesWp + tw, with the tile columns padded to tilesWp (a multiple
// of 4) so that four neighbouring tiles of a row form one vec4 of P. A dispatch covers the N images from
// n0: the launcher runs a large batch in chunks whose transformed tiles stay in the CPU caches.
//
// Lavapipe notes: the transforms read through texel buffers and write whole vec4s; no shared memory.

#extension GL_EXT_control_flow_attributes : require

layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;

layout(constant_id = 3) const uint TILE = 4;       // T: outputs per tile side (2 or 4)
layout(constant_id = 4) const uint PAD = 1;        // zero padding of the convolution (0 … 3)
layout(constant_id = 5) const bool VEC_ROWS = false;  // image rows read as RGBA32F (width % 4 == 0)
layout(constant_id = 6) const uint VARIANT = 0;    // kernel-specific mode
const uint ALPHA = TILE + 2u;

layout(push_constant) uniform Push {
    uint N;                 // batch (of the images this dispatch covers)
    uint n0;                // first image: the dispatch covers images n0 … n0 + N − 1
    uint H; uint W;         // input image size
    uint OH; uint OW;       // output image size
    uint tilesH;            // tile rows: ceil(OH / T)
    uint groupsW;           // groups of four tile columns per row: tilesWp / 4
    uint P;                 // tiles, padded: N · tilesH · tilesWp
    uint R; uint Rp;        // reduction channels (of the input image), padded to a multiple of 4
    uint O; uint Op;        // output channels, padded to a multiple of 4
} p;

// The tile group `group` (four neighbouring tiles of one row) as (image n, tile row th, group g).
uvec3 tileGroup(uint group) {
    return uvec3(p.n0 + group / (p.groupsW * p.tilesH), (group / p.groupsW) % p.tilesH, group % p.groupsW);
}

// Bᵀ d for one line of α values (in place).
void inputLine(inout float d[6]) {
    if (TILE == 4u) {
        float t0 = 4.0 * d[0] - 5.0 * d[2] + d[4];
        float t1 = -4.0 * (d[1] + d[2]) + d[3] + d[4];
        float t2 = 4.0 * (d[1] - d[2]) - d[3] + d[4];
        float t3 = 2.0 * (d[3] - d[1]) - d[2] + d[4];
        float t4 = 2.0 * (d[1] - d[3]) - d[2] + d[4];
        float t5 = 4.0 * d[1] - 5.0 * d[3] + d[5];
        d[0] = t0; d[1] = t1; d[2] = t2; d[3] = t3; d[4] = t4; d[5] = t5;
    } else {
        float t0 = d[0] - d[2], t1 = d[1] + d[2], t2 = d[2] - d[1], t3 = d[1] - d[3];
        d[0] = t0; d[1] = t1; d[2] = t2; d[3] = t3;
    }
}

// Aᵀ m for one line: α values in, T values out (in the first T entries).
void outputLine(inout float m[6]) {
    if (TILE == 4u) {
        float a = m[1] + m[2], b = m[1] - m[2], c = m[3] + m[4], e = m[3] - m[4];
        m[0] = m[0] + a + c;
        m[1] = b + 2.0 * e;
        m[2] = a + 4.0 * c;
        m[3] = b + 8.0 * e + m[5];
    } else {
        float o0 = m[0] + m[1] + m[2], o1 = m[1] - m[2] - m[3];
        m[0] = o0; m[1] = o1;
    }
}

// A g for one line (the adjoint of outputLine): T values in, α values out.
void outputLineAdjoint(inout float g[6]) {
    if (TILE == 4u) {
        float g0 = g[0], g1 = g[1], g2 = g[2], g3 = g[3];
        g[0] = g0;
        g[1] = g0 + g1 + g2 + g3;
        g[2] = g0 - g1 + g2 - g3;
        g[3] = g0 + 2.0 * g1 + 4.0 * g2 + 8.0 * g3;
        g[4] = g0 - 2.0 * g1 + 4.0 * g2 - 8.0 * g3;
        g[5] = g3;
    } else {
        float g0 = g[0], g1 = g[1];
        g[0] = g0; g[1] = g0 + g1; g[2] = g0 - g1; g[3] = -g1;
    }
}

// G g for one line: 3 values in, α values out.
void filterLine(inout float g[6]) {
    float g0 = g[0], g1 = g[1], g2 = g[2];
    if (TILE == 4u) {
        g[0] = g0 / 4.0;
        g[1] = -(g0 + g1 + g2) / 6.0;
        g[2] = -(g0 - g1 + g2) / 6.0;
        g[3] = g0 / 24.0 + g1 / 12.0 + g2 / 6.0;
        g[4] = g0 / 24.0 - g1 / 12.0 + g2 / 6.0;
        g[5] = g2;
    } else {
        g[0] = g0; g[1] = (g0 + g1 + g2) / 2.0; g[2] = (g0 - g1 + g2) / 2.0; g[3] = g2;
    }
}

// Gᵀ u for one line (the adjoint of filterLine): α values in, 3 values out.
void filterLineAdjoint(inout float u[6]) {
    if (TILE == 4u) {
        float s = (u[1] + u[2]) / 6.0, d = (u[1] - u[2]) / 6.0, s2 = u[3] + u[4], d2 = u[3] - u[4];
        float r0 = u[0] / 4.0 - s + s2 / 24.0;
        float r1 = d2 / 12.0 - d;
        float r2 = -s + s2 / 6.0 + u[5];
        u[0] = r0; u[1] = r1; u[2] = r2;
    } else {
        float r0 = u[0] + (u[1] + u[2]) / 2.0, r1 = (u[1] - u[2]) / 2.0, r2 = (u[1] + u[2]) / 2.0 + u[3];
        u[0] = r0; u[1] = r1; u[2] = r2;
    }
}

// Applies LINE to every row and then every column of the first `rowsIn` × `colsIn` block of
// tile[6][6] (each call maps the first n entries of a line to the first m).
#define TRANSFORM_2D(tile, LINE, rowsIn, colsIn, rowsOut)                                            \
    {                                                                                               \
        [[unroll]] for (uint r_ = 0u; r_ < (rowsIn); ++r_) {                                        \
            float l_[6];                                                                            \
            [[unroll]] for (uint c_ = 0u; c_ < 6u; ++c_) l_[c_] = tile[r_][c_];                    \
            LINE(l_);                                                                               \
            [[unroll]] for (uint c_ = 0u; c_ < 6u; ++c_) tile[r_][c_] = l_[c_];                    \
        }                                                                                           \
        [[unroll]] for (uint c_ = 0u; c_ < 6u; ++c_) {                                              \
            float l_[6];                                                                            \
            [[unroll]] for (uint r_ = 0u; r_ < 6u; ++r_) l_[r_] = tile[r_][c_];                    \
            LINE(l_);                                                                               \
            [[unroll]] for (uint r_ = 0u; r_ < (rowsOut); ++r_) tile[r_][c_] = l_[r_];             \
        }                                                                                           \
    }
