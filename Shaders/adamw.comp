#version 450
// One torch.optim.AdamW step (amsgrad off), in place, in PyTorch's order of operations (the update is
// adamw_update.glsl's), with stepSize = lr / (1 - beta1^t) and bias2Sqrt = sqrt(1 - beta2^t) computed
// on the host in double precision, as PyTorch does. param, m, v: [count] (storage, read-write); grad: [count]
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

#include "adamw_update.glsl"

void main() {
    uint units = p.count / VEC;
    uint first, end, step;
    subgroupSpan(units, first, end, step);
    for (uint u = first; u < end; u += step) {
        if (VEC == 4u) {
            vec4 mi = m4[u], vi = v4[u];
            param4[u] = adamwUpdate(param4[u], texelFetch(grad, int(u)), mi, vi);
            m4[u] = mi;
            v4[u] = vi;
        } else {
            vec4 mi = vec4(m[u]), vi = vec4(v[u]);
            param[u] = adamwUpdate(vec4(param[u]), vec4(texelFetch(grad, int(u)).x), mi, vi).x;
            m[u] = mi.x;
            v[u] = vi.x;
        }
    }
}
