#version 450
// Element-wise unary ops: y = OP(x).
// x: [count] read through an R32F texel buffer; y: [count].
// OP (constant 3): 0 exp, 1 log, 2 sqrt, 3 reciprocal, 4 square.
layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;
layout(constant_id = 3) const uint OP = 0;

layout(binding = 0) uniform samplerBuffer x;
layout(binding = 1) writeonly buffer Y { float y[]; };

layout(push_constant) uniform Push { uint count; } p;

void main() {
    // Grid stride: the launcher caps the workgroup count (65,535 per axis), larger tensors loop.
    uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    for (uint i = gl_GlobalInvocationID.x; i < p.count; i += stride) {
        float v = texelFetch(x, int(i)).x;
        float r;
        if (OP == 0u) r = exp(v);
        else if (OP == 1u) r = log(v);
        else if (OP == 2u) r = sqrt(v);
        else if (OP == 3u) r = 1.0 / v;
        else r = v * v;
        y[i] = r;
    }
}
