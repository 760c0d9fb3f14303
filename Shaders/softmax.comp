#version 450
// Softmax and log-softmax over rows, with temperature.
// x: [B, C] (R32F texel buffer); y: [B, C].
//   mode 0: y = softmax(x / T)        mode 1: y = log_softmax(x / T)
// Max-subtracted, so logits of any magnitude give finite results.
#include "softmax_rows.glsl"

layout(binding = 0) uniform samplerBuffer x;
layout(binding = 1) writeonly buffer Output { float y[]; };

layout(push_constant) uniform Push {
    uint rows;
    uint cols;
    float invT;  // 1 / temperature
    uint mode;   // 0 softmax, 1 log-softmax
} p;

void main() {
    uint row = rowIndex();
    if (row >= p.rows) return;
    uint lane = rowLane();
    int base = int(row * p.cols);

    float rowMaximum = LOWEST;
    for (uint c = lane; c < p.cols; c += ROW_LANES) rowMaximum = max(rowMaximum, texelFetch(x, base + int(c)).x);
    rowMaximum = rowMax(vec4(rowMaximum), 0u).x;

    float normalizer = 0.0;
    for (uint c = lane; c < p.cols; c += ROW_LANES) normalizer += exp((texelFetch(x, base + int(c)).x - rowMaximum) * p.invT);
    normalizer = rowSum(vec4(normalizer), 1u).x;

    if (p.mode == 1u) {
        float logNormalizer = log(normalizer);
        for (uint c = lane; c < p.cols; c += ROW_LANES)
            y[uint(base) + c] = (texelFetch(x, base + int(c)).x - rowMaximum) * p.invT - logNormalizer;
    } else {
        float invNormalizer = 1.0 / normalizer;
        for (uint c = lane; c < p.cols; c += ROW_LANES)
            y[uint(base) + c] = exp((texelFetch(x, base + int(c)).x - rowMaximum) * p.invT) * invNormalizer;
    }
}
