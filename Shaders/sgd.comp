#version 450
// One torch.optim.SGD step, in place (one dispatch per parameter buffer):
//   g = (maximize ? -grad : grad) + weightDecay * param
//   momentum != 0: buf = firstStep ? g : momentum * buf + (1 - dampening) * g
//                  g = nesterov ? g + momentum * buf : buf
//   param = param - lr * g
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

vec4 update(vec4 w, vec4 g, inout vec4 b) {
    if (p.maximize != 0u) g = -g;
    if (p.weightDecay != 0.0) g = g + p.weightDecay * w;
    if (p.momentum != 0.0) {
        b = p.firstStep != 0u ? g : p.momentum * b + p.oneMinusDampening * g;
        g = p.nesterov != 0u ? g + p.momentum * b : b;
    }
    return w - p.lr * g;
}

void main() {
    uint units = p.count / VEC;
    uint first, end, step;
    subgroupSpan(units, first, end, step);
    bool hasMomentum = p.momentum != 0.0;
    for (uint u = first; u < end; u += step) {
        if (VEC == 4u) {
            vec4 b = hasMomentum && p.firstStep == 0u ? buf4[u] : vec4(0.0);
            param4[u] = update(param4[u], texelFetch(grad, int(u)), b);
            if (hasMomentum) buf4[u] = b;
        } else {
            vec4 b = vec4(hasMomentum && p.firstStep == 0u ? buf[u] : 0.0);
            param[u] = update(vec4(param[u]), vec4(texelFetch(grad, int(u)).x), b).x;
            if (hasMomentum) buf[u] = b.x;
        }
    }
}
