// Row mapping and row reductions shared by the softmax family (softmax*.comp).
//
// Every kernel of the family works on rows of a row-major [rows, cols] matrix. The workgroup size
// (specialization constants 0 and 1) and ROW_IS_SUBGROUP (constant 3) pick one of three layouts:
//   local_size_x == 1:  one invocation per row, serial loops over the row, local_size_y rows per
//                       workgroup. No shared memory, no barrier.
//   local_size_x  > 1:  X invocations per row; invocation `lane` takes the texels lane, lane + X,
//                       lane + 2X, … (neighbouring lanes load neighbouring columns).
//     ROW_IS_SUBGROUP:  X is the subgroup size, so a row is one subgroup: partials combine with
//                       subgroup operations alone; local_size_y rows per workgroup. No shared
//                       memory, no barrier: the fast path on lavapipe.
//     otherwise:        one workgroup per row (local_size_y must be 1): partials combine with
//                       subgroup operations, then across subgroups through shared memory with one
//                       barrier, in subgroup order. Nothing assumes the subgroup size.
// All are deterministic: a row is reduced in a fixed order, so the same inputs give the same bits.
// Rows beyond the first 65535 workgroups spill into gl_WorkGroupID.y.
// Independently, ROW_VEC4 (constant 4) makes every fetch and store move four columns.
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require

layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;

// Invocations that share one row (1 in the serial layout).
const uint ROW_LANES = gl_WorkGroupSize.x;

// Set by the launcher when local_size_x equals the device's subgroup size: each row is then one
// whole subgroup and the reductions are subgroup operations alone (no shared memory, no barrier),
// which also allows several rows per workgroup.
layout(constant_id = 3) const bool ROW_IS_SUBGROUP = false;

// Set by the launcher when cols % 4 == 0 and the inputs are bound as RGBA32F texel views: every
// texel fetch (and gradient store) then moves 4 consecutive columns. Otherwise inputs are R32F
// views and only .x of a fetch is used. Kernels loop over texels and then over ROW_WIDTH columns.
layout(constant_id = 4) const bool ROW_VEC4 = false;
const uint ROW_WIDTH = ROW_VEC4 ? 4u : 1u;

// Below every finite logit; unlike -inf it gives exp(LOWEST - LOWEST) = 1, never NaN, for lanes
// that saw no column.
const float LOWEST = -3.402823466e38;

// The row this invocation works on (may be >= rows: the caller returns early; all invocations of
// a row share it, so the early return never splits a subgroup or a workgroup that reduces).
uint rowIndex() {
    return (gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x) * gl_WorkGroupSize.y + gl_LocalInvocationID.y;
}

// The first texel this invocation takes; it then steps by ROW_LANES.
uint rowLane() {
    return gl_LocalInvocationID.x;
}

// Texels per row of `cols` columns.
uint rowTexels(uint cols) {
    return cols / ROW_WIDTH;
}

// Subgroups in the workgroup. gl_NumSubgroups is not enough on its own: lavapipe (Mesa 22.3) reports
// floor(invocations / subgroup size) there, dropping a trailing partial subgroup.
uint rowSubgroups() {
    return max(gl_NumSubgroups, (gl_WorkGroupSize.x * gl_WorkGroupSize.y + gl_SubgroupSize - 1u) / gl_SubgroupSize);
}

// Shared slots for the workgroup layout: each reduction below takes a `slot` in [0, ROW_SLOTS) and
// every slot is used by at most one reduction per invocation, so one barrier per reduction suffices
// (no slot is overwritten while another invocation may still read it). A workgroup never has more
// subgroups than invocations. A shader needing more slots defines ROW_SLOTS before the include.
#ifndef ROW_SLOTS
#define ROW_SLOTS 2u
#endif
shared vec4 rowPartials[ROW_SLOTS * gl_WorkGroupSize.x];

// Component-wise maximum over the invocations of a row, in uniform control flow.
vec4 rowMax(vec4 v, uint slot) {
    if (ROW_LANES == 1u) return v;
    v = subgroupMax(v);
    if (ROW_IS_SUBGROUP) return v;
    uint first = slot * ROW_LANES;
    if (subgroupElect()) rowPartials[first + gl_SubgroupID] = v;
    barrier();
    v = rowPartials[first];
    for (uint s = 1u; s < rowSubgroups(); ++s) v = max(v, rowPartials[first + s]);
    return v;
}

// Component-wise sum over the invocations of a row, in a fixed order, in uniform control flow.
vec4 rowSum(vec4 v, uint slot) {
    if (ROW_LANES == 1u) return v;
    v = subgroupAdd(v);
    if (ROW_IS_SUBGROUP) return v;
    uint first = slot * ROW_LANES;
    if (subgroupElect()) rowPartials[first + gl_SubgroupID] = v;
    barrier();
    v = rowPartials[first];
    for (uint s = 1u; s < rowSubgroups(); ++s) v += rowPartials[first + s];
    return v;
}

// A quiet NaN: the loss (and gradient) of a row whose input is invalid, e.g. a label out of range.
float rowNaN() {
    return uintBitsToFloat(0x7fc00000u);
}
