#version 450
// One torch.optim.SGD step, in place (one dispatch per parameter buffer; the update is sgd_update.glsl's).
// param, buf: [count] (storage, read-write); grad: [count] (texel buffer: RGBA32F when VEC == 4,
// which needs count % 4 == 0, else R32F). Without momentum buf is never touched (the launcher binds
// param there). Hyper-parameters are push constants, so a learning-rate schedule needs no new
// pipeline; 1 - dampening comes from the host in double precision.
#include "elementwise_span.glsl"
layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;
layout(constant_id = 3) const uint VEC = 1;

layout(binding = 0) buffer Param { float param[]; };
layout(binding = 0) buffer Param4 { vec4 param4[]; };  // the same buffers, for VEC == 4
layout(binding = 1) uniform samplerBuffer grad;
layout(binding = 2) buffer Momentum { float buf[]; };
layout(binding = 2) buffer Momentum4 { vec4 buf4[]; };

layout(push_constant) uniform Push {
    uint count; float lr; float momentum; float oneMinusDampening; float weightDecay;
    uint nesterov; uint firstStep; uint maximize;
} p;

#include "sgd_update.glsl"

void main() {
    uint units = p.count / VEC;
    uint first, end, step;
    subgroupSpan(units, first, end, step);
    bool hasMomentum = p.momentum != 0.0, firstStep = p.firstStep != 0u;
    for (uint u = first; u < end; u += step) {
        if (VEC == 4u) {
            vec4 b = hasMomentum && !firstStep ? buf4[u] : vec4(0.0);
            param4[u] = sgdUpdate(param4[u], texelFetch(grad, int(u)), b, firstStep);
            if (hasMomentum) buf4[u] = b;
        } else {
            vec4 b = vec4(hasMomentum && !firstStep ? buf[u] : 0.0);
            param[u] = sgdUpdate(vec4(param[u]), vec4(texelFetch(grad, int(u)).x), b, firstStep).x;
            if (hasMomentum) buf[u] = b.x;
        }
    }
}
