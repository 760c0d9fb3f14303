#version 450
// Contrastive memory scores (CRD): dot products of each anchor with memory-bank rows picked by index,
// read straight from the bank (the gathered rows are never materialized).
//   out[i, j] = Σ_d bank[idx[i, j], d] · v[i, d]
// bank: [N, D]; v: [B, D] anchors; idx: [B, J] uint row indices (< N, checked by the launcher);
// out: [B, J]. One invocation per output: x walks j, y walks i. Each sum runs over d in a fixed order.
// VEC (constant 3): 1 when D % 4 == 0, rows read as vec4 with partial sums (s.x + s.y) + (s.z + s.w).
layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;
layout(constant_id = 3) const uint VEC = 0;

layout(binding = 0) readonly buffer Bank { float bank[]; };
layout(binding = 0) readonly buffer Bank4 { vec4 bank4[]; };
layout(binding = 1) readonly buffer Anchor { float v[]; };
layout(binding = 1) readonly buffer Anchor4 { vec4 v4[]; };
layout(binding = 2) readonly buffer Index { uint idx[]; };
layout(binding = 3) writeonly buffer Out { float scores[]; };

layout(push_constant) uniform Push { uint rows; uint columns; uint dim; } p;

void main() {
    uint j = gl_GlobalInvocationID.x;
    uint i = gl_GlobalInvocationID.y;
    if (j >= p.columns || i >= p.rows) return;
    uint r = idx[i * p.columns + j];
    float s = 0.0;
    if (VEC == 1u) {
        uint q = p.dim / 4u;
        vec4 acc = vec4(0.0);
        for (uint k = 0u; k < q; ++k) acc += bank4[r * q + k] * v4[i * q + k];
        s = (acc.x + acc.y) + (acc.z + acc.w);
    } else {
        for (uint d = 0u; d < p.dim; ++d) s += bank[r * p.dim + d] * v[i * p.dim + d];
    }
    scores[i * p.columns + j] = s;
}
