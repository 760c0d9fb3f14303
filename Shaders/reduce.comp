#version 450
// Sum (or mean) over the middle axis of x viewed as [outer, reduce, inner], in chunks:
//   y[o, k, i] = (accumulate ? y[o, k, i] : 0) + (sum_{r in chunk k} x[o, r, i]) / divisor
// where chunk k covers r in [k * chunk, min(reduce, (k + 1) * chunk)).
// x: [outer, reduce, inner] (texel buffer); y: [outer, chunks, inner].
// One chunk (chunk = reduce) is a plain axis reduction; several chunks are the first pass of a
// two-pass reduction whose second pass reduces y over its middle axis. Each invocation sums its
// outputs in a fixed order, so the same inputs give the same bits (no atomics, no shared memory).
// VEC (how reads are vectorized, x bound as RGBA32F when not 0):
//   0: scalar reads (R32F);
//   1: along reduce, 4 partial sums combined as (s0 + s1) + (s2 + s3) (inner == 1, reduce % 4 == 0,
//      chunk % 4 == 0);
//   2: along inner, each invocation produces 4 adjacent outputs (inner % 4 == 0).
layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;
layout(constant_id = 3) const uint VEC = 0;

layout(binding = 0) uniform samplerBuffer x;
layout(binding = 1) buffer Y { float y[]; };

layout(push_constant) uniform Push {
    uint outer; uint reduce; uint inner; uint chunk; uint chunks; float divisor; uint accumulate;
} p;

void store(uint index, float sum) {
    float value = sum / p.divisor;
    y[index] = p.accumulate != 0u ? y[index] + value : value;
}

void main() {
    uint lanes = VEC == 2u ? p.inner / 4u : p.inner;
    uint units = p.outer * p.chunks * lanes;
    uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    for (uint u = gl_GlobalInvocationID.x; u < units; u += stride) {
        uint lane = u % lanes;
        uint row = u / lanes;          // o * chunks + k
        uint k = row % p.chunks;
        uint o = row / p.chunks;
        uint r0 = k * p.chunk;
        uint r1 = min(p.reduce, r0 + p.chunk);
        if (VEC == 1u) {
            // inner == 1: x[o, r] at texel (o * reduce + r) / 4.
            uint t0 = (o * p.reduce + r0) / 4u;
            uint t1 = t0 + (r1 - r0) / 4u;
            vec4 s = vec4(0.0);
            for (uint t = t0; t < t1; ++t) s += texelFetch(x, int(t));
            store(row, (s.x + s.y) + (s.z + s.w));
        } else if (VEC == 2u) {
            uint i = lane * 4u;
            vec4 s = vec4(0.0);
            for (uint r = r0; r < r1; ++r) s += texelFetch(x, int(((o * p.reduce + r) * p.inner + i) / 4u));
            uint base = row * p.inner + i;
            store(base, s.x);
            store(base + 1u, s.y);
            store(base + 2u, s.z);
            store(base + 3u, s.w);
        } else {
            float s = 0.0;
            for (uint r = r0; r < r1; ++r) s += texelFetch(x, int((o * p.reduce + r) * p.inner + lane)).x;
            store(row * p.inner + lane, s);
        }
    }
}
