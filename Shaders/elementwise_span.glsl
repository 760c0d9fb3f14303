// Work distribution for the element-wise kernels: each subgroup takes one contiguous span of the
// units, its lanes interleaved (lane l takes start + l, start + l + subgroupSize, …). On lavapipe a
// subgroup is one SIMD chunk run to completion before the next, so it streams through memory
// sequentially; on GPUs each step of a subgroup is one coalesced access. Any subgroup size works.
#extension GL_KHR_shader_subgroup_basic : require

// Units [first, end) in steps of `step` for this invocation when workgroup `group` of `groups` takes
// its share of `units` (the multi-tensor kernels give each tensor its own range of workgroups).
void subgroupSpanOf(uint units, uint group, uint groups, out uint first, out uint end, out uint step) {
    uint subgroups = groups * gl_NumSubgroups;
    uint id = group * gl_NumSubgroups + gl_SubgroupID;
    uint span = (units + subgroups - 1u) / subgroups;
    span = (span + gl_SubgroupSize - 1u) / gl_SubgroupSize * gl_SubgroupSize;
    uint start = min(units, id * span);
    first = start + gl_SubgroupInvocationID;
    end = min(units, start + span);
    step = gl_SubgroupSize;
}

// Units [first, end) in steps of `step` for this invocation, out of `units` in the whole dispatch.
void subgroupSpan(uint units, out uint first, out uint end, out uint step) {
    subgroupSpanOf(units, gl_WorkGroupID.x, gl_NumWorkGroups.x, first, end, step);
}
