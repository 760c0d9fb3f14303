#version 450
// Max pooling (2-D) backward: dx[ih, iw] = Σ dy[oh, ow] over the outputs whose argmax is (ih, iw).
// dy, indices: [N, C, OH, OW] -> dx: [N, C, H, W]
// A gather: each input position visits the few outputs whose window can contain it, in output
// order, so no atomics and a fixed summation order. Each invocation computes RUN consecutive
// positions of one input row.
// 16-bit variants: dy and dx in the precision, the sum in fp32.
// precisions: fp16 bf16
#extension GL_GOOGLE_include_directive : require
#include "precision.glsl"
layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;
layout(constant_id = 3) const uint RUN = 4u;

layout(binding = 0) uniform valueSampler dy;
layout(binding = 1) uniform isamplerBuffer indices;
layout(binding = 2) writeonly buffer DX { value_t dx[]; };

// rowBlocks = ceil(W / RUN); items = N·C·H·rowBlocks; (magic, shift) pairs divide by rowBlocks, H, SH, SW.
layout(push_constant) uniform Push {
    int H; int W; int OH; int OW;
    int KH; int KW; int SH; int SW; int PH; int PW; int DH; int DW;
    uint rowBlocks; uint items;
    uint blocksMagic; uint blocksShift; uint hMagic; uint hShift;
    uint shMagic; uint shShift; uint swMagic; uint swShift;
} p;

#include "pool.glsl"

// Outputs o (along one axis) with o·S ∈ [position + pad − span, position + pad], clamped to [0, size).
ivec2 coveringOutputs(int position, int pad, int span, int size, uint magic, uint shift, int stride) {
    int high = min(int(fastdiv(uint(position + pad), magic, shift)), size - 1);
    int lowNumerator = position + pad - span;
    int low = lowNumerator <= 0 ? 0 : int(fastdiv(uint(lowNumerator + stride - 1), magic, shift));
    return ivec2(low, high);
}

void main() {
    uint id = linearInvocation();
    if (id >= p.items) return;
    uint row = fastdiv(id, p.blocksMagic, p.blocksShift);
    uint block = id - row * p.rowBlocks;
    uint plane = fastdiv(row, p.hMagic, p.hShift);
    int ih = int(row - plane * uint(p.H));
    int outPlane = int(plane) * p.OH * p.OW;

    ivec2 rows = coveringOutputs(ih, p.PH, (p.KH - 1) * p.DH, p.OH, p.shMagic, p.shShift, p.SH);
    int iw0 = int(block * RUN);
    int iwEnd = min(iw0 + int(RUN), p.W);
    for (int iw = iw0; iw < iwEnd; ++iw) {
        ivec2 cols = coveringOutputs(iw, p.PW, (p.KW - 1) * p.DW, p.OW, p.swMagic, p.swShift, p.SW);
        int target = ih * p.W + iw;
        float sum = 0.0;
        for (int oh = rows.x; oh <= rows.y; ++oh) {
            for (int ow = cols.x; ow <= cols.y; ++ow) {
                int o = outPlane + oh * p.OW + ow;
                if (texelFetch(indices, o).x == target) sum += FETCH(dy, o).x;
            }
        }
        dx[int(row) * p.W + iw] = FROM_FLOAT(sum);
    }
}
