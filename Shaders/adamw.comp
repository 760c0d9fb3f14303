#version 450
// One torch.optim.AdamW step (amsgrad off), in place, in PyTorch's order of operations:
//   g = maximize ? -grad : grad
//   param *= decay                                   decay = 1 - lr * weightDecay
//   m = lerp(m, g, 1 - beta1)
//   v = v * beta2 + (1 - beta2) * g * g
//   param += -stepSize * m / (sqrt(v) / bias2Sqrt + eps)
// with stepSize = lr / (1 - beta1^t) and bias2Sqrt = sqrt(1 - beta2^t) computed on the host in
// double precision, as PyTorch does. param, m, v: [count] (storage, read-write); grad: [count] (R32F
// texel buffer). Hyper-parameters are push constants: schedules need no new pipeline.
layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;

layout(binding = 0) buffer Param { float param[]; };
layout(binding = 1) uniform samplerBuffer grad;
layout(binding = 2) buffer FirstMoment { float m[]; };
layout(binding = 3) buffer SecondMoment { float v[]; };

layout(push_constant) uniform Push {
    uint count; float decay; float oneMinusBeta1; float beta2; float oneMinusBeta2;
    float stepSize; float bias2Sqrt; float eps; uint maximize;
} p;

void main() {
    uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    for (uint i = gl_GlobalInvocationID.x; i < p.count; i += stride) {
        float g = texelFetch(grad, int(i)).x;
        if (p.maximize != 0u) g = -g;
        float w = param[i] * p.decay;
        // torch.lerp: start + weight * (end - start) for |weight| < 0.5, else end - (end - start) * (1 - weight).
        float mi = m[i];
        float weight = p.oneMinusBeta1;
        mi = abs(weight) < 0.5 ? mi + weight * (g - mi) : g - (g - mi) * (1.0 - weight);
        float vi = v[i] * p.beta2 + p.oneMinusBeta2 * g * g;
        m[i] = mi;
        v[i] = vi;
        float denom = sqrt(vi) / p.bias2Sqrt + p.eps;
        param[i] = w + (-p.stepSize) * (mi / denom);
    }
}
