#version 450
// One torch.optim.AdamW step over up to 8 parameter tensors in one dispatch (multi-tensor apply), each
// element updated as adamw.comp updates it (adamw_update.glsl), four at a time with a scalar tail.
// Tensor k: param_k, m_k, v_k: [count[k]] (storage, read-write); grad_k: [count[k]] (R32F texel
// buffer); bindings 4k … 4k + 3. All tensors of a dispatch share the step number (stepSize,
// bias2Sqrt); slots past `tensors` are never touched.
#include "elementwise_span.glsl"
layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;

#define SLOTS 8
layout(push_constant) uniform Push {
    float decay; float oneMinusBeta1; float beta2; float oneMinusBeta2;
    float stepSize; float bias2Sqrt; float eps; uint maximize; uint tensors;
    uint count[SLOTS]; uint groupEnd[SLOTS];
} p;

#include "adamw_update.glsl"
#include "multi_tensor.glsl"

#define TENSOR(k) \
    layout(binding = 4 * k) buffer Param##k { float param##k[]; }; \
    layout(binding = 4 * k) buffer ParamVec##k { vec4 paramVec##k[]; }; \
    layout(binding = 4 * k + 1) uniform samplerBuffer grad##k; \
    layout(binding = 4 * k + 2) buffer FirstMoment##k { float m##k[]; }; \
    layout(binding = 4 * k + 2) buffer FirstMomentVec##k { vec4 mVec##k[]; }; \
    layout(binding = 4 * k + 3) buffer SecondMoment##k { float v##k[]; }; \
    layout(binding = 4 * k + 3) buffer SecondMomentVec##k { vec4 vVec##k[]; };
TENSOR(0) TENSOR(1) TENSOR(2) TENSOR(3) TENSOR(4) TENSOR(5) TENSOR(6) TENSOR(7)

// The loop over this invocation's units of tensor k.
#define UPDATE(k) case k: \
    for (uint u = first; u < end; u += step) { \
        if (4u * u + 4u <= count) { \
            vec4 mi = mVec##k[u], vi = vVec##k[u]; \
            paramVec##k[u] = adamwUpdate(paramVec##k[u], texelVec4(grad##k, u), mi, vi); \
            mVec##k[u] = mi; \
            vVec##k[u] = vi; \
        } else { \
            for (uint i = 4u * u; i < count; i++) { \
                vec4 mi = vec4(m##k[i]), vi = vec4(v##k[i]); \
                param##k[i] = adamwUpdate(vec4(param##k[i]), vec4(texelFetch(grad##k, int(i)).x), mi, vi).x; \
                m##k[i] = mi.x; \
                v##k[i] = vi.x; \
            } \
        } \
    } \
    break;

void main() {
    uint k, first, end, step;
    tensorSpan(k, first, end, step);
    uint count = p.count[k];
    switch (k) {
        UPDATE(0) UPDATE(1) UPDATE(2) UPDATE(3) UPDATE(4) UPDATE(5) UPDATE(6) UPDATE(7)
    }
}
