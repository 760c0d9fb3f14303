#version 450
// Average pooling (2-D) forward, as PyTorch's avg_pool2d (floor mode).
// x: [N, C, H, W] -> y: [N, C, OH, OW], OH = (H + 2·PH − KH) / SH + 1 (likewise OW)
// y = window sum / divisor; the divisor counts the padded window (countPad = 1, PyTorch's default
// count_include_pad = True) or only the positions inside x (countPad = 0).
// Each invocation computes RUN consecutive outputs of one output row.
// 16-bit variants: x and y in the precision, the sum in fp32.
// precisions: fp16 bf16
#extension GL_GOOGLE_include_directive : require
#include "precision.glsl"
layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;
layout(constant_id = 3) const uint RUN = 4u;

layout(binding = 0) uniform valueSampler x;
layout(binding = 1) writeonly buffer Y { value_t y[]; };

// rowBlocks = ceil(OW / RUN); items = N·C·OH·rowBlocks; (magic, shift) pairs divide by rowBlocks and OH.
layout(push_constant) uniform Push {
    int H; int W; int OH; int OW;
    int KH; int KW; int SH; int SW; int PH; int PW; uint countPad;
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
    int h1 = min(h0 + p.KH, p.H + p.PH);
    int paddedRows = h1 - h0;
    h0 = max(h0, 0);
    h1 = min(h1, p.H);
    int ow0 = int(block * RUN);
    int owEnd = min(ow0 + int(RUN), p.OW);
    for (int ow = ow0; ow < owEnd; ++ow) {
        int w0 = ow * p.SW - p.PW;
        int w1 = min(w0 + p.KW, p.W + p.PW);
        int paddedCols = w1 - w0;
        w0 = max(w0, 0);
        w1 = min(w1, p.W);
        float sum = 0.0;
        for (int ih = h0; ih < h1; ++ih) {
            for (int iw = w0; iw < w1; ++iw) sum += FETCH(x, inBase + ih * p.W + iw).x;
        }
        int divisor = p.countPad != 0u ? paddedRows * paddedCols : (h1 - h0) * (w1 - w0);
        y[outBase + ow] = FROM_FLOAT(h0 < h1 && w0 < w1 ? sum / float(divisor) : 0.0);
    }
}
