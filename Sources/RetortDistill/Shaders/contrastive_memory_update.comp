#version 450
// Momentum update of memory-bank rows (CRD, RepDistiller crd/memory.py), in place:
//   u = m · bank[idx[i]] + (1 − m) · v[i];   bank[idx[i]] = u / max(‖u‖₂, 1e-12)
// bank: [N, D] (read and written); v: [B, D]; idx: [B] distinct row indices (checked by the caller:
// every bank row has at most one writer). One invocation per updated row; each sums over d in order.
layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;

layout(binding = 0) buffer Bank { float bank[]; };
layout(binding = 1) readonly buffer Values { float v[]; };
layout(binding = 2) readonly buffer Index { uint idx[]; };

layout(push_constant) uniform Push { uint rows; uint dim; float momentum; } p;

void main() {
    uint i = gl_GlobalInvocationID.x;
    if (i >= p.rows) return;
    uint base = idx[i] * p.dim;
    float m = p.momentum, keep = 1.0 - p.momentum;
    float squares = 0.0;
    for (uint d = 0u; d < p.dim; ++d) {
        float u = m * bank[base + d] + keep * v[i * p.dim + d];
        squares += u * u;
    }
    float inverse = 1.0 / max(sqrt(squares), 1e-12);
    for (uint d = 0u; d < p.dim; ++d) {
        float u = m * bank[base + d] + keep * v[i * p.dim + d];
        bank[base + d] = u * inverse;
    }
}
