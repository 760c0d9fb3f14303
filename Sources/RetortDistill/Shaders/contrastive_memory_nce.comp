#version 450
// NCE loss of contrastive scores (CRD, RepDistiller crd/criterion.py NCECriterion) and its gradient
// with respect to the scores, one workgroup per row.
// With x_j = exp(s[i, j] / T) / Z (Z = normalizer[0]), c = noise + eps (noise = m·Pn = K / N):
//   loss[i] = scale · ( −log(x_0 / (x_0 + c)) − Σ_{j≥1} log(noise / (x_j + c)) )
//   ∂loss[i]/∂s[i, 0] = scale · −c / (x_0 + c) / T
//   ∂loss[i]/∂s[i, j] = scale · x_j / (x_j + c) / T          (j ≥ 1)
// Column 0 holds the positive, columns 1… the negatives. The caller folds 1/B (and any weight) into
// `scale`; summing loss[] over rows then gives the loss whose gradient grad is.
// s: [B, J]; normalizer: [1]; grad: [B, J]; loss: [B]. Each lane sums its columns in order, then the
// lanes are combined by a fixed tree in shared memory: the same inputs give the same bits.
// x_j is computed as exp(s / T − log Z), which stays finite where exp(s / T) alone would overflow.
layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;

layout(binding = 0) readonly buffer Scores { float s[]; };
layout(binding = 1) readonly buffer Normalizer { float normalizer[]; };
layout(binding = 2) writeonly buffer Gradient { float grad[]; };
layout(binding = 3) writeonly buffer Loss { float loss[]; };

layout(push_constant) uniform Push {
    uint rows; uint columns; float invT; float noise; float eps; float scale;
} p;

shared float partial[gl_WorkGroupSize.x];

void main() {
    uint row = gl_WorkGroupID.x;
    uint lane = gl_LocalInvocationID.x;
    uint lanes = gl_WorkGroupSize.x;
    float logZ = log(normalizer[0]);
    float c = p.noise + p.eps;
    float logNoise = log(p.noise);
    float sum = 0.0;
    if (row < p.rows) {
        for (uint j = lane; j < p.columns; j += lanes) {
            uint at = row * p.columns + j;
            float x = exp(s[at] * p.invT - logZ);
            float term, gradient;
            if (j == 0u) {
                term = -log(x / (x + c));
                gradient = -c / (x + c);
            } else {
                term = log(x + c) - logNoise;
                gradient = x / (x + c);
            }
            sum += term;
            grad[at] = p.scale * gradient * p.invT;
        }
    }
    partial[lane] = sum;
    barrier();
    for (uint width = lanes / 2u; width > 0u; width /= 2u) {
        if (lane < width) partial[lane] += partial[lane + width];
        barrier();
    }
    if (lane == 0u && row < p.rows) loss[row] = p.scale * partial[0];
}
