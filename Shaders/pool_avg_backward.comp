#version 450
// Average pooling (2-D) backward: dx[ih, iw] = Σ dy[oh, ow] / divisor(oh, ow) over the windows that
// contain (ih, iw) (the divisor as in pool_avg.comp).
// dy: [N, C, OH, OW] -> dx: [N, C, H, W]
// A gather in output order: no atomics, a fixed summation order. Each invocation computes RUN
// consecutive positions of one input row.
// 16-bit variants: dy and dx in the precision, the sum in fp32.
// precisions: fp16 bf16
#extension GL_GOOGLE_include_directive : require
#include "precision.glsl"
layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;
layout(constant_id = 3) const uint RUN = 4u;

layout(binding = 0) uniform valueSampler dy;
layout(binding = 1) writeonly buffer DX { value_t dx[]; };

// rowBlocks = ceil(W / RUN); items = N·C·H·rowBlocks; (magic, shift) pairs divide by rowBlocks, H, SH, SW.
layout(push_constant) uniform Push {
    int H; int W; int OH; int OW;
    int KH; int KW; int SH; int SW; int PH; int PW; uint countPad;
    uint rowBlocks; uint items;
    uint blocksMagic; uint blocksShift; uint hMagic; uint hShift;
    uint shMagic; uint shShift; uint swMagic; uint swShift;
} p;

#include "pool.glsl"

// Windows o (along one axis) with o·S − pad ≤ position < o·S − pad + kernel, clamped to [0, size).
ivec2 coveringOutputs(int position, int pad, int kernel, int size, uint magic, uint shift) {
    int high = min(int(fastdiv(uint(position + pad), magic, shift)), size - 1);
    int low = position + pad < kernel ? 0 : int(fastdiv(uint(position + pad - kernel), magic, shift)) + 1;
    return ivec2(low, high);
}

// Divisor of the window starting at `start` along one axis: (padded extent, extent inside x).
ivec2 windowExtent(int start, int kernel, int pad, int size) {
    int end = min(start + kernel, size + pad);
    return ivec2(end - start, min(end, size) - max(start, 0));
}

void main() {
    uint id = linearInvocation();
    if (id >= p.items) return;
    uint row = fastdiv(id, p.blocksMagic, p.blocksShift);
    uint block = id - row * p.rowBlocks;
    uint plane = fastdiv(row, p.hMagic, p.hShift);
    int ih = int(row - plane * uint(p.H));
    int outPlane = int(plane) * p.OH * p.OW;

    ivec2 rows = coveringOutputs(ih, p.PH, p.KH, p.OH, p.shMagic, p.shShift);
    int iw0 = int(block * RUN);
    int iwEnd = min(iw0 + int(RUN), p.W);
    for (int iw = iw0; iw < iwEnd; ++iw) {
        ivec2 cols = coveringOutputs(iw, p.PW, p.KW, p.OW, p.swMagic, p.swShift);
        float sum = 0.0;
        for (int oh = rows.x; oh <= rows.y; ++oh) {
            ivec2 hExtent = windowExtent(oh * p.SH - p.PH, p.KH, p.PH, p.H);
            for (int ow = cols.x; ow <= cols.y; ++ow) {
                ivec2 wExtent = windowExtent(ow * p.SW - p.PW, p.KW, p.PW, p.W);
                int divisor = p.countPad != 0u ? hExtent.x * wExtent.x : hExtent.y * wExtent.y;
                sum += FETCH(dy, outPlane + oh * p.OW + ow).x / float(divisor);
            }
        }
        dx[int(row) * p.W + iw] = FROM_FLOAT(sum);
    }
}
