// Work distribution for the multi-tensor optimizer kernels (sgd_multi_tensor.comp,
// adamw_multi_tensor.comp): one dispatch updates up to SLOTS tensors, each through its own bindings.
// Tensor k takes workgroups [groupEnd[k - 1], groupEnd[k]) (from 0 for k = 0); its ceil(count[k] / 4)
// units of four elements (the last one partial when count[k] % 4 != 0) are spread over them as
// subgroupSpanOf spreads a whole dispatch's. Include it after elementwise_span.glsl and the push
// block `p` (tensors, count[SLOTS], groupEnd[SLOTS]).

// The tensor this workgroup updates, and this invocation's units [first, end) of it in steps of `step`.
void tensorSpan(out uint k, out uint first, out uint end, out uint step) {
    k = 0u;
    while (k + 1u < p.tensors && gl_WorkGroupID.x >= p.groupEnd[k]) k++;
    uint start = k == 0u ? 0u : p.groupEnd[k - 1u];
    subgroupSpanOf((p.count[k] + 3u) / 4u, gl_WorkGroupID.x - start, p.groupEnd[k] - start, first, end, step);
}

// Elements 4u … 4u + 3 of an R32F texel buffer.
vec4 texelVec4(samplerBuffer source, uint u) {
    int i = int(4u * u);
    return vec4(texelFetch(source, i).x, texelFetch(source, i + 1).x, texelFetch(source, i + 2).x, texelFetch(source, i + 3).x);
}
