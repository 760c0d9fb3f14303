#version 450
// Zipf label-smoothing targets (Zipf's LS, non-dense ranking), one workgroup of 64 per row.
// scores: [rows, columns] (R32F texel buffer); labels: [rows] class indices (R32I texel buffer).
//
//   rank[r, c] = 1 + #{j : scores[r, j] > scores[r, c]}    (scipy rankdata(−s, method='min'):
//                                                           ties share the smallest rank; 1 = best)
//   dist[r, c] = rank^−power / Σ_{c' ≠ t} rank[r, c']^−power  for c ≠ t = labels[r];  dist[r, t] = 0
//   correct[r] = 1 when torch.argmax(scores[r]) == t (the first maximum wins ties), else 0
//
// A label outside [0, columns) gives a NaN row and correct = 0. The workgroup strides over rows;
// its invocations split the columns and add the row's sum in shared memory in a fixed order.
// dist: [rows, columns] (written, then read back by the same invocation); correct: [rows].
layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;   // must be 64 × 1 × 1
#define LANES 64u

layout(binding = 0) uniform samplerBuffer scores;
layout(binding = 1) uniform isamplerBuffer labels;
layout(binding = 2) buffer Dist { float dist[]; };
layout(binding = 3) writeonly buffer Correct { float correct[]; };

layout(push_constant) uniform Push { uint rows; uint columns; float power; } p;

shared float sums[LANES];
shared uint ahead[LANES];

void main() {
    uint lane = gl_LocalInvocationID.x;
    for (uint row = gl_WorkGroupID.x; row < p.rows; row += gl_NumWorkGroups.x) {
        int label = texelFetch(labels, int(row)).x;
        bool valid = label >= 0 && uint(label) < p.columns;
        uint target = valid ? uint(label) : 0u;
        int base = int(row * p.columns);
        float targetScore = texelFetch(scores, base + int(target)).x;

        // Unnormalised Zipf weights, and how many classes argmax would pick before the target.
        float sum = 0.0;
        uint beaten = 0u;
        for (uint c = lane; c < p.columns; c += LANES) {
            float s = texelFetch(scores, base + int(c)).x;
            if (s > targetScore || (s == targetScore && c < target)) beaten += 1u;
            uint rank = 1u;
            for (uint j = 0u; j < p.columns; ++j) rank += texelFetch(scores, base + int(j)).x > s ? 1u : 0u;
            float value = c == target ? 0.0 : (p.power == 1.0 ? 1.0 / float(rank) : pow(float(rank), -p.power));
            dist[uint(base) + c] = value;
            sum += value;
        }
        sums[lane] = sum;
        ahead[lane] = beaten;
        barrier();
        for (uint stride = LANES / 2u; stride > 0u; stride >>= 1) {
            if (lane < stride) {
                sums[lane] += sums[lane + stride];
                ahead[lane] += ahead[lane + stride];
            }
            barrier();
        }
        float inverse = valid ? 1.0 / sums[0] : uintBitsToFloat(0x7fc00000u);
        bool isCorrect = valid && ahead[0] == 0u;
        // Each invocation rescales the columns it wrote itself.
        for (uint c = lane; c < p.columns; c += LANES) dist[uint(base) + c] *= inverse;
        if (lane == 0u) correct[row] = isCorrect ? 1.0 : 0.0;
        barrier();   // sums and ahead are reused by the next row
    }
}
