#version 450
// Row-wise selection over logits x: [rows, columns] (R32F texel buffer), one invocation per row.
//   MODE 0 argmax: out[r] = index of the largest x[r, :]; the first one wins ties, NaN counts as
//          the largest (like torch.argmax). Binding 1 is unused (bind any buffer).
//   MODE 1 label rank: out[r] = number of logits strictly greater than the label's logit
//          x[r, labels[r]]; the label is in the top k exactly when out[r] < k (so a tie with the
//          k-th largest counts as a hit). A label outside [0, columns) or a NaN label logit gives
//          0xFFFFFFFF (never a hit). labels: [rows] (R32UI texel buffer).
//   MODE 2 count hits: one invocation; for each j < numK, out[j] = (accumulate ? out[j] : 0) +
//          number of r < rows with ranks[r] < k[j], summed in row order. ranks: [rows] in binding 1.
//          Binding 0 is unused.
// out: [rows] (MODE 0, 1) or [numK] (MODE 2), uint.
layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;
layout(constant_id = 3) const uint MODE = 0;

layout(binding = 0) uniform samplerBuffer x;
layout(binding = 1) uniform usamplerBuffer labels;
layout(binding = 2) buffer Out { uint result[]; };

layout(push_constant) uniform Push { uint rows; uint columns; uint numK; uint accumulate; uvec4 k; } p;

void main() {
    if (MODE == 2u) {
        if (gl_GlobalInvocationID.x != 0u) return;
        uvec4 hits = uvec4(0u);
        for (uint r = 0u; r < p.rows; ++r) {
            uint rank = texelFetch(labels, int(r)).x;
            hits += uvec4(lessThan(uvec4(rank), p.k));
        }
        for (uint j = 0u; j < p.numK; ++j) result[j] = (p.accumulate != 0u ? result[j] : 0u) + hits[j];
        return;
    }
    uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    for (uint r = gl_GlobalInvocationID.x; r < p.rows; r += stride) {
        uint base = r * p.columns;
        if (MODE == 0u) {
            float best = texelFetch(x, int(base)).x;
            uint index = 0u;
            for (uint c = 1u; c < p.columns && !isnan(best); ++c) {
                float v = texelFetch(x, int(base + c)).x;
                if (v > best || isnan(v)) { best = v; index = c; }
            }
            result[r] = index;
        } else {
            uint label = texelFetch(labels, int(r)).x;
            uint rank = 0xFFFFFFFFu;
            if (label < p.columns) {
                float target = texelFetch(x, int(base + label)).x;
                if (!isnan(target)) {
                    rank = 0u;
                    for (uint c = 0u; c < p.columns; ++c) rank += texelFetch(x, int(base + c)).x > target ? 1u : 0u;
                }
            }
            result[r] = rank;
        }
    }
}
