#version 450
// Softmax and log-softmax over rows, with temperature.
// x: [B, C] (texel buffer); y: [B, C].
//   mode 0: y = softmax(x / T)        mode 1: y = log_softmax(x / T)
// Max-subtracted, so logits of any magnitude give finite results.
#include "softmax_rows.glsl"

layout(binding = 0) uniform samplerBuffer x;
layout(binding = 1) writeonly buffer Output { float y[]; };
layout(binding = 1) writeonly buffer Output4 { vec4 y4[]; };

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
    uint texels = rowTexels(p.cols);
    int base = int(row * texels);

    float rowMaximum = LOWEST;
    for (uint i = lane; i < texels; i += ROW_LANES) {
        vec4 x4 = texelFetch(x, base + int(i));
        for (uint k = 0u; k < ROW_WIDTH; ++k) rowMaximum = max(rowMaximum, x4[k]);
    }
    rowMaximum = rowMax(vec4(rowMaximum), 0u).x;

    float normalizer = 0.0;
    for (uint i = lane; i < texels; i += ROW_LANES) {
        vec4 x4 = texelFetch(x, base + int(i));
        for (uint k = 0u; k < ROW_WIDTH; ++k) normalizer += exp((x4[k] - rowMaximum) * p.invT);
    }
    normalizer = rowSum(vec4(normalizer), 1u).x;

    bool logarithmic = p.mode == 1u;
    float logNormalizer = log(normalizer), invNormalizer = 1.0 / normalizer;
    for (uint i = lane; i < texels; i += ROW_LANES) {
        vec4 shifted = (texelFetch(x, base + int(i)) - rowMaximum) * p.invT;
        vec4 v = vec4(0.0);
        for (uint k = 0u; k < ROW_WIDTH; ++k) v[k] = logarithmic ? shifted[k] - logNormalizer : exp(shifted[k]) * invNormalizer;
        uint at = uint(base) + i;
        if (ROW_VEC4) {
            y4[at] = v;
        } else {
            y[at] = v.x;
        }
    }
}
