#version 450
// Row sums: y[r] = sum_c x[r, c]. One workgroup per row; subgroupAdd inside each subgroup, then a
// fixed-order sum over the per-subgroup partials (deterministic for a given subgroup size; no
// assumption about what that size is).
// x: [rows, cols] (R32F texel buffer); y: [rows]
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require
layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;

layout(binding = 0) uniform samplerBuffer x;
layout(binding = 1) writeonly buffer Y { float y[]; };

layout(push_constant) uniform Push { uint rows; uint cols; } p;

// Enough for 1024 invocations at the smallest subgroup size Vulkan allows (1).
shared float partial[1024];

void main() {
    uint row = gl_WorkGroupID.x;
    uint lane = gl_LocalInvocationID.x;
    float sum = 0.0;
    if (row < p.rows) {
        for (uint c = lane; c < p.cols; c += gl_WorkGroupSize.x) {
            sum += texelFetch(x, int(row * p.cols + c)).x;
        }
    }
    sum = subgroupAdd(sum);
    if (subgroupElect()) partial[gl_SubgroupID] = sum;
    barrier();
    if (lane == 0u && row < p.rows) {
        float total = 0.0;
        // Count the subgroups ourselves: lavapipe 22.3 rounds gl_NumSubgroups down when the last
        // subgroup is partial (36 invocations at subgroup 8 report 4, not 5).
        uint subgroups = (gl_WorkGroupSize.x + gl_SubgroupSize - 1u) / gl_SubgroupSize;
        for (uint s = 0u; s < subgroups; ++s) total += partial[s];
        y[row] = total;
    }
}
