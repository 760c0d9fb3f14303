#version 450
// Max pooling 2×2, stride 2, no padding (the common CNN down-sampling), forward with argmax
// indices; the same results as pool_max.comp for that window.
// x: [N, C, H, W] -> y, indices: [N, C, H/2, W/2], with W % 8 == 0 (so each output row is whole
// blocks of 4 outputs and each block reads 2 aligned RGBA32F texels of each of its 2 input rows).
// Each invocation computes one block of 4 outputs with vector operations and stores them as one
// vec4 and one ivec4.
// 16-bit variants: x and y in the precision, 4 values per texel (indices stay Int32), arithmetic fp32.
// precisions: fp16 bf16
#extension GL_GOOGLE_include_directive : require
#include "precision.glsl"
layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;

layout(binding = 0) uniform valueSampler x;
layout(binding = 1) writeonly buffer Y { value4_t y[]; };
layout(binding = 2) writeonly buffer Indices { ivec4 indices[]; };

// blocks = W / 8 per output row; items = N·C·OH·blocks; (magic, shift) pairs divide by blocks and OH.
layout(push_constant) uniform Push {
    uint H; uint W; uint OH; uint blocks; uint items;
    uint blocksMagic; uint blocksShift; uint ohMagic; uint ohShift;
} p;

#include "pool.glsl"

// Keeps the candidate where it beats the best so far (a NaN always wins), as PyTorch's scan.
void consider(vec4 candidate, ivec4 index, inout vec4 best, inout ivec4 bestIndex) {
    bvec4 wins = bvec4(uvec4(greaterThan(candidate, best)) | uvec4(isnan(candidate)));
    best = mix(best, candidate, wins);
    bestIndex = mix(bestIndex, index, wins);
}

void main() {
    uint id = linearInvocation();
    if (id >= p.items) return;
    uint row = fastdiv(id, p.blocksMagic, p.blocksShift);
    uint block = id - row * p.blocks;
    uint plane = fastdiv(row, p.ohMagic, p.ohShift);
    uint oh = row - plane * p.OH;

    uint rowTexels = p.W / 4u;
    int top = int((plane * p.H + 2u * oh) * rowTexels + 2u * block);
    vec4 a0 = FETCH(x, top), a1 = FETCH(x, top + 1);
    vec4 b0 = FETCH(x, top + int(rowTexels)), b1 = FETCH(x, top + int(rowTexels) + 1);

    // Window k of the block covers columns 8·block + 2k and + 1 of input rows 2·oh and 2·oh + 1.
    ivec4 first = ivec4(int(2u * oh * p.W + 8u * block)) + ivec4(0, 2, 4, 6);
    vec4 best = vec4(a0.x, a0.z, a1.x, a1.z);
    ivec4 bestIndex = first;
    consider(vec4(a0.y, a0.w, a1.y, a1.w), first + 1, best, bestIndex);
    consider(vec4(b0.x, b0.z, b1.x, b1.z), first + int(p.W), best, bestIndex);
    consider(vec4(b0.y, b0.w, b1.y, b1.w), first + int(p.W) + 1, best, bestIndex);
    y[id] = FROM_VEC4(best);
    indices[id] = bestIndex;
}
