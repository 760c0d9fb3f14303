#version 450
// Binary element-wise ops whose second operand is broadcast over the first.
//   OP 0: c = alpha * a + beta * b   (add, subtract, axpy; beta = 0 skips b: scale)
//   OP 1: c = alpha * a * b          (multiply)
// a, c: [count], viewed as [outer, mid, inner] (e.g. NCHW as [N, C, H*W]); b by MODE:
//   0 full [outer, mid, inner], 1 per-channel [mid], 2 per-sample [outer], 3 scalar [1].
// VEC 4: a unit is 4 consecutive elements read as one RGBA32F texel (count % 4 == 0); with B_VEC b
// is read the same way (MODE 0), otherwise one b value covers the whole unit (the launcher ensures
// a unit never straddles two b values). c may be a (in place): one invocation reads and writes
// each element. Grid-stride loop: any number of workgroups covers any count.
layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;
layout(constant_id = 3) const uint OP = 0;
layout(constant_id = 4) const uint MODE = 0;
layout(constant_id = 5) const uint VEC = 1;
layout(constant_id = 6) const bool B_VEC = false;

layout(binding = 0) uniform samplerBuffer a;
layout(binding = 1) uniform samplerBuffer b;
layout(binding = 2) writeonly buffer C { float c[]; };

layout(push_constant) uniform Push { uint count; uint mid; uint inner; float alpha; float beta; } p;

// Index into b of element e.
uint bIndex(uint e) {
    if (MODE == 0u) return e;
    if (MODE == 1u) return (e / p.inner) % p.mid;
    if (MODE == 2u) return e / (p.mid * p.inner);
    return 0u;
}

vec4 apply(vec4 x, vec4 y) {
    if (OP == 1u) return p.alpha * x * y;
    return p.beta == 0.0 ? p.alpha * x : p.alpha * x + p.beta * y;
}

void main() {
    uint units = p.count / VEC;
    uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    for (uint u = gl_GlobalInvocationID.x; u < units; u += stride) {
        uint e = u * VEC;
        uint bi = bIndex(e);
        if (VEC == 4u) {
            vec4 y = B_VEC ? texelFetch(b, int(bi / 4u)) : vec4(texelFetch(b, int(bi)).x);
            vec4 r = apply(texelFetch(a, int(u)), y);
            c[e] = r.x;
            c[e + 1u] = r.y;
            c[e + 2u] = r.z;
            c[e + 3u] = r.w;
        } else {
            c[e] = apply(vec4(texelFetch(a, int(e)).x), vec4(texelFetch(b, int(bi)).x)).x;
        }
    }
}
