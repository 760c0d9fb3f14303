#version 450
// Max pooling (2-D) forward with argmax indices, as PyTorch's max_pool2d (floor mode).
// x: [N, C, H, W] -> y, indices: [N, C, OH, OW]
// OH = (H + 2·PH − DH·(KH − 1) − 1) / SH + 1 (likewise OW). Padding never wins (it counts as −inf);
// indices[…] = ih · W + iw of the first maximum in window order (a NaN wins, as in PyTorch).
// Each invocation computes RUN consecutive outputs of one output row.
// 16-bit variants: x and y in the precision (indices stay Int32), arithmetic fp32.
// precisions: fp16 bf16
#extension GL_GOOGLE_include_directive : require
#include "precision.glsl"
layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;
layout(constant_id = 3) const uint RUN = 4u;

layout(binding = 0) uniform valueSampler x;
layout(binding = 1) writeonly buffer Y { value_t y[]; };
layout(binding = 2) writeonly buffer Indices { int indices[]; };

// rowBlocks = ceil(OW / RUN); items = N·C·OH·rowBlocks; (magic, shift) pairs divide by rowBlocks and OH.
layout(push_constant) uniform Push {
    int H; int W; int OH; int OW;
    int KH; int KW; int SH; int SW; int PH; int PW; int DH; int DW;
    uint rowBlocks; uint items;
    uint blocksMagic; uint blocksShift; uint ohMagic; uint ohShift;
} p;

#include "pool.glsl"

void main() {
    uint id = linearInvocation();
    if (id >= p.items) return;
    uint row = fastdiv(id, p.blocksMagic, p.blocksShift);
    uint block = id - row * p.rowBlocks;
    uint plane = fastdiv(row, p.ohMagic, p.ohShift);
    int oh = int(row - plane * uint(p.OH));
    int inBase = int(plane) * p.H * p.W;
    int outBase = int(row) * p.OW;

    int h0 = oh * p.SH - p.PH;
    int h1 = min(h0 + (p.KH - 1) * p.DH + 1, p.H);
    while (h0 < 0) h0 += p.DH;
    int ow0 = int(block * RUN);
    int owEnd = min(ow0 + int(RUN), p.OW);
    for (int ow = ow0; ow < owEnd; ++ow) {
        int w0 = ow * p.SW - p.PW;
        int w1 = min(w0 + (p.KW - 1) * p.DW + 1, p.W);
        while (w0 < 0) w0 += p.DW;
        float best = uintBitsToFloat(0xff800000u);   // −inf
        int bestIndex = h0 * p.W + w0;
        for (int ih = h0; ih < h1; ih += p.DH) {
            for (int iw = w0; iw < w1; iw += p.DW) {
                int index = ih * p.W + iw;
                float v = FETCH(x, inBase + index).x;
                if (v > best || isnan(v)) {
                    best = v;
                    bestIndex = index;
                }
            }
        }
        y[outBase + ow] = FROM_FLOAT(best);
        indices[outBase + ow] = bestIndex;
    }
}
