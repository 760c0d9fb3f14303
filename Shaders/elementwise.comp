#version 450
// Element-wise binary ops: c = a OP b.
// a, b: [count] read through R32F texel buffers (the fast load path on lavapipe); c: [count].
// OP (constant 3): 0 add, 1 subtract, 2 multiply, 3 divide, 4 maximum, 5 minimum.
layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;
layout(constant_id = 3) const uint OP = 0;

layout(binding = 0) uniform samplerBuffer a;
layout(binding = 1) uniform samplerBuffer b;
layout(binding = 2) writeonly buffer C { float c[]; };

layout(push_constant) uniform Push { uint count; } p;

void main() {
    // Grid stride: the launcher caps the workgroup count (65,535 per axis), larger tensors loop.
    uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    for (uint i = gl_GlobalInvocationID.x; i < p.count; i += stride) {
        float x = texelFetch(a, int(i)).x;
        float y = texelFetch(b, int(i)).x;
        float r;
        if (OP == 0u) r = x + y;
        else if (OP == 1u) r = x - y;
        else if (OP == 2u) r = x * y;
        else if (OP == 3u) r = x / y;
        else if (OP == 4u) r = max(x, y);
        else r = min(x, y);
        c[i] = r;
    }
}
