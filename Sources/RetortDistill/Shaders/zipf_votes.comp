#version 450
// Zipf's dense votes, step 2: per sample, how many positions the classifier assigns to each class.
// logits: [N · P, C] (R32F texel buffer), the classifier applied at each of a sample's P positions;
// votes: [N, C].
//
//   votes[n, c] = #{p : argmax_c' logits[n·P + p, c'] == c}      (the first maximum wins ties, as
//                                                                 torch.argmax on the CPU)
//
// One invocation per sample writes its whole row (zeroed first), so no atomics and a fixed order.
layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;

layout(binding = 0) uniform samplerBuffer logits;
layout(binding = 1) buffer Votes { float votes[]; };

layout(push_constant) uniform Push { uint samples; uint positions; uint classes; } p;

void main() {
    uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    for (uint n = gl_GlobalInvocationID.x; n < p.samples; n += stride) {
        for (uint c = 0u; c < p.classes; ++c) votes[n * p.classes + c] = 0.0;
        for (uint position = 0u; position < p.positions; ++position) {
            int base = int((n * p.positions + position) * p.classes);
            float best = texelFetch(logits, base).x;
            uint winner = 0u;
            for (uint c = 1u; c < p.classes; ++c) {
                float value = texelFetch(logits, base + int(c)).x;
                if (value > best) {
                    best = value;
                    winner = c;
                }
            }
            votes[n * p.classes + winner] += 1.0;
        }
    }
}
