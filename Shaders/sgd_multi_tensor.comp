#version 450
// One torch.optim.SGD step over up to 10 parameter tensors in one dispatch (multi-tensor apply), each
// element updated as sgd.comp updates it (sgd_update.glsl), four at a time with a scalar tail.
// Tensor k: param_k, buf_k: [count[k]] (storage, read-write); grad_k: [count[k]] (R32F texel buffer);
// bindings 3k, 3k + 1, 3k + 2. Bit k of firstSteps: buf_k starts as the gradient. Without momentum
// buf_k is never touched (the launcher binds param_k there); slots past `tensors` are never touched.
#include "elementwise_span.glsl"
layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;

#define SLOTS 10
layout(push_constant) uniform Push {
    float lr; float momentum; float oneMinusDampening; float weightDecay;
    uint nesterov; uint maximize; uint firstSteps; uint tensors;
    uint count[SLOTS]; uint groupEnd[SLOTS];
} p;

#include "sgd_update.glsl"
#include "multi_tensor.glsl"

#define TENSOR(k) \
    layout(binding = 3 * k) buffer Param##k { float param##k[]; }; \
    layout(binding = 3 * k) buffer ParamVec##k { vec4 paramVec##k[]; }; \
    layout(binding = 3 * k + 1) uniform samplerBuffer grad##k; \
    layout(binding = 3 * k + 2) buffer Momentum##k { float buf##k[]; }; \
    layout(binding = 3 * k + 2) buffer MomentumVec##k { vec4 bufVec##k[]; };
TENSOR(0) TENSOR(1) TENSOR(2) TENSOR(3) TENSOR(4) TENSOR(5) TENSOR(6) TENSOR(7) TENSOR(8) TENSOR(9)

// The loop over this invocation's units of tensor k.
#define UPDATE(k) case k: \
    for (uint u = first; u < end; u += step) { \
        if (4u * u + 4u <= count) { \
            vec4 b = hasMomentum && !firstStep ? bufVec##k[u] : vec4(0.0); \
            paramVec##k[u] = sgdUpdate(paramVec##k[u], texelVec4(grad##k, u), b, firstStep); \
            if (hasMomentum) bufVec##k[u] = b; \
        } else { \
            for (uint i = 4u * u; i < count; i++) { \
                vec4 b = vec4(hasMomentum && !firstStep ? buf##k[i] : 0.0); \
                param##k[i] = sgdUpdate(vec4(param##k[i]), vec4(texelFetch(grad##k, int(i)).x), b, firstStep).x; \
                if (hasMomentum) buf##k[i] = b.x; \
            } \
        } \
    } \
    break;

void main() {
    uint k, first, end, step;
    tensorSpan(k, first, end, step);
    uint count = p.count[k];
    bool hasMomentum = p.momentum != 0.0, firstStep = ((p.firstSteps >> k) & 1u) != 0u;
    switch (k) {
        UPDATE(0) UPDATE(1) UPDATE(2) UPDATE(3) UPDATE(4) UPDATE(5) UPDATE(6) UPDATE(7) UPDATE(8) UPDATE(9)
    }
}
