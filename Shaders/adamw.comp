#version 450
// One torch.optim.AdamW step (amsgrad off), in place, in PyTorch's order of operations:
//   g = maximize ? -grad : grad
//   param *= decay                                   decay = 1 - lr * weightDecay
//   m = lerp(m, g, 1 - beta1)
//   v = v * beta2 + (1 - beta2) * g * g
//   param += -stepSize * (m / (sqrt(v) / bias2Sqrt + eps))
// with stepSize = lr / (1 - beta1^t) and bias2Sqrt = sqrt(1 - beta2^t) computed on the host in
// double precision, as PyTorch does. param, m, v: [count] (storage, read-write); grad: [count]
// (texel buffer: RGBA32F when VEC == 4, which needs count % 4 == 0, else R32F). Hyper-parameters are
// push constants: schedules need no new pipeline.
#include "elementwise_span.glsl"
layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;
layout(constant_id = 3) const uint VEC = 1;

layout(binding = 0) buffer Param { float param[]; };
layout(binding = 0) buffer Param4 { vec4 param4[]; };  // the same buffers, for VEC == 4
layout(binding = 1) uniform samplerBuffer grad;
layout(binding = 2) buffer FirstMoment { float m[]; };
layout(binding = 2) buffer FirstMoment4 { vec4 m4[]; };
layout(binding = 3) buffer SecondMoment { float v[]; };
layout(binding = 3) buffer SecondMoment4 { vec4 v4[]; };

layout(push_constant) uniform Push {
    uint count; float decay; float oneMinusBeta1; float beta2; float oneMinusBeta2;
    float stepSize; float bias2Sqrt; float eps; uint maximize;
} p;

// Updates (w, mi, vi) for gradient g; returns the new parameter.
vec4 update(vec4 w, vec4 g, inout vec4 mi, inout vec4 vi) {
    if (p.maximize != 0u) g = -g;
    w *= p.decay;
    // torch.lerp: start + weight * (end - start) for |weight| < 0.5, else end - (end - start) * (1 - weight).
    float weight = p.oneMinusBeta1;
    mi = abs(weight) < 0.5 ? mi + weight * (g - mi) : g - (g - mi) * (1.0 - weight);
    vi = vi * p.beta2 + p.oneMinusBeta2 * g * g;
    vec4 denom = sqrt(vi) / p.bias2Sqrt + p.eps;
    return w + (-p.stepSize) * (mi / denom);
}

void main() {
    uint units = p.count / VEC;
    uint first, end, step;
    subgroupSpan(units, first, end, step);
    for (uint u = first; u < end; u += step) {
        if (VEC == 4u) {
            vec4 mi = m4[u], vi = v4[u];
            param4[u] = update(param4[u], texelFetch(grad, int(u)), mi, vi);
            m4[u] = mi;
            v4[u] = vi;
        } else {
            vec4 mi = vec4(m[u]), vi = vec4(v[u]);
            param[u] = update(vec4(param[u]), vec4(texelFetch(grad, int(u)).x), mi, vi).x;
            m[u] = mi.x;
            v[u] = vi.x;
        }
    }
}
