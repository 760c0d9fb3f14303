#version 450
// Backward of contrastive_memory_scores with respect to the anchors (the bank rows are constants):
//   partial[i, c, d] = Σ_{j in chunk c} g[i, j] · bank[idx[i, j], d]
// chunk c covers j in [c·chunk, min(J, (c + 1)·chunk)). With one chunk this is grad_v itself; with
// several, the launcher sums partial over c in a second, fixed-order pass (Reduction).
// bank: [N, D]; g: [B, J] upstream gradient of the scores; idx: [B, J]; partial: [B, chunks, D].
// One invocation per (d, c) along x (d fastest: neighbouring invocations read neighbouring bank
// elements of the same row, one coalesced access per step on GPUs) and per anchor i along y. Each
// invocation sums its chunk in order, so results are deterministic.
layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;

layout(binding = 0) readonly buffer Bank { float bank[]; };
layout(binding = 1) readonly buffer Gradient { float g[]; };
layout(binding = 2) readonly buffer Index { uint idx[]; };
layout(binding = 3) writeonly buffer Partial { float partial[]; };

layout(push_constant) uniform Push { uint rows; uint columns; uint dim; uint chunk; uint chunks; } p;

void main() {
    uint unit = gl_GlobalInvocationID.x;
    uint i = gl_GlobalInvocationID.y;
    if (unit >= p.dim * p.chunks || i >= p.rows) return;
    uint c = unit / p.dim;
    uint d = unit - c * p.dim;
    uint j0 = c * p.chunk;
    uint j1 = min(p.columns, j0 + p.chunk);
    float s = 0.0;
    for (uint j = j0; j < j1; ++j) {
        uint at = i * p.columns + j;
        s += g[at] * bank[idx[at] * p.dim + d];
    }
    partial[(i * p.chunks + c) * p.dim + d] = s;
}
