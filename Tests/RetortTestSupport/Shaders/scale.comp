#version 450
// In place: x = alpha * x + beta.
// x: [count]
layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;

layout(binding = 0) buffer X { float x[]; };

layout(push_constant) uniform Push { uint count; float alpha; float beta; } p;

void main() {
    uint i = gl_GlobalInvocationID.x;
    if (i >= p.count) return;
    x[i] = p.alpha * x[i] + p.beta;
}
