#version 450
// Max pooling 2×2, stride 2, no padding, backward (pool_max_2x2.comp's windows): each input
// position receives dy of its window when it is the window's argmax, else 0.
// dy, indices: [N, C, H/2, W/2] -> dx: [N, C, H, W], with H % 2 == 0 and W % 8 == 0, so the
// windows tile dx exactly and every position belongs to exactly one window.
// Each invocation takes one block of 4 outputs (one RGBA32F texel of dy, one ivec4 of indices) and
// writes its 2 × 8 input positions as 4 vec4 stores.
// 16-bit variants: dy and dx in the precision, arithmetic fp32.
// precisions: fp16 bf16
#extension GL_GOOGLE_include_directive : require
#include "precision.glsl"
layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;

layout(binding = 0) uniform valueSampler dy;
layout(binding = 1) readonly buffer Indices { ivec4 indices[]; };
layout(binding = 2) writeonly buffer DX { value4_t dx[]; };

// blocks = W / 8 per output row; items = N·C·OH·blocks; (magic, shift) pairs divide by blocks and OH.
layout(push_constant) uniform Push {
    uint H; uint W; uint OH; uint blocks; uint items;
    uint blocksMagic; uint blocksShift; uint ohMagic; uint ohShift;
} p;

#include "pool.glsl"

void main() {
    uint id = linearInvocation();
    if (id >= p.items) return;
    uint row = fastdiv(id, p.blocksMagic, p.blocksShift);
    uint block = id - row * p.blocks;
    uint plane = fastdiv(row, p.ohMagic, p.ohShift);
    uint oh = row - plane * p.OH;

    vec4 g = FETCH(dy, int(id));
    ivec4 argmax = indices[id];
    // Input positions of the block: rows 2·oh + r, columns 8·block + 4·t + j; window k = 2t + j / 2.
    int first = int(2u * oh * p.W + 8u * block);
    uint rowTexels = p.W / 4u;
    uint top = (plane * p.H + 2u * oh) * rowTexels + 2u * block;
    for (int r = 0; r < 2; ++r) {
        int base = first + r * int(p.W);
        ivec4 left = base + ivec4(0, 1, 2, 3), right = base + ivec4(4, 5, 6, 7);
        dx[top + uint(r) * rowTexels] = FROM_VEC4(mix(vec4(0.0), g.xxyy, equal(argmax.xxyy, left)));
        dx[top + uint(r) * rowTexels + 1u] = FROM_VEC4(mix(vec4(0.0), g.zzww, equal(argmax.zzww, right)));
    }
}
