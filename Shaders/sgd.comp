#version 450
// One torch.optim.SGD step, in place (one dispatch per parameter buffer):
//   g = (maximize ? -grad : grad) + weightDecay * param
//   momentum != 0: buf = firstStep ? g : momentum * buf + (1 - dampening) * g
//                  g = nesterov ? g + momentum * buf : buf
//   param = param - lr * g
// param, buf: [count] (storage, read-write); grad: [count] (R32F texel buffer). Without momentum
// buf is never touched (the launcher binds param there). Hyper-parameters are push constants, so a
// learning-rate schedule needs no new pipeline; 1 - dampening comes from the host in double precision.
layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;

layout(binding = 0) buffer Param { float param[]; };
layout(binding = 1) uniform samplerBuffer grad;
layout(binding = 2) buffer Momentum { float buf[]; };

layout(push_constant) uniform Push {
    uint count; float lr; float momentum; float oneMinusDampening; float weightDecay;
    uint nesterov; uint firstStep; uint maximize;
} p;

void main() {
    uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    for (uint i = gl_GlobalInvocationID.x; i < p.count; i += stride) {
        float w = param[i];
        float g = texelFetch(grad, int(i)).x;
        if (p.maximize != 0u) g = -g;
        if (p.weightDecay != 0.0) g = g + p.weightDecay * w;
        if (p.momentum != 0.0) {
            float b = p.firstStep != 0u ? g : p.momentum * buf[i] + p.oneMinusDampening * g;
            buf[i] = b;
            g = p.nesterov != 0u ? g + p.momentum * b : b;
        }
        param[i] = w - p.lr * g;
    }
}
