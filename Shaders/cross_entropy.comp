#version 450
// Fused softmax + cross-entropy with integer labels and label smoothing + gradient, one dispatch.
// z: [B, C] logits (texel buffer); labels: [B] int32 (R32I texel buffer); dz: [B, C]; loss: [B].
//
// PyTorch semantics (F.cross_entropy(z, y, label_smoothing=eps, reduction="none")):
//   target  = (1 - eps) * onehot(y) + eps / C
//   loss[r] = scale * -sum_c target_c * log softmax(z)_c
//   dz      = scale * (softmax(z) - target)
// The caller folds 1/B (mean) and the loss weight into `scale`.
// A label outside [0, C) makes that row's loss and gradient NaN (the device cannot throw; the
// NaN shows in the summed loss instead of a silently wrong step or an out-of-bounds read).
// flags bit 0: dz += gradient instead of dz = gradient; bit 1: the same for loss[].
#include "softmax_rows.glsl"

layout(binding = 0) uniform samplerBuffer z;
layout(binding = 1) uniform isamplerBuffer labels;
layout(binding = 2) buffer Gradient { float dz[]; };
layout(binding = 2) buffer Gradient4 { vec4 dz4[]; };
layout(binding = 3) buffer Loss { float loss[]; };

layout(push_constant) uniform Push {
    uint rows;
    uint cols;
    float smoothing;  // eps in [0, 1]
    float scale;
    uint flags;       // bit 0 accumulate dz, bit 1 accumulate loss
} p;

void main() {
    uint row = rowIndex();
    if (row >= p.rows) return;
    uint lane = rowLane();
    uint texels = rowTexels(p.cols);
    int base = int(row * texels);

    float rowMaximum = LOWEST;
    for (uint i = lane; i < texels; i += ROW_LANES) {
        vec4 x4 = texelFetch(z, base + int(i));
        for (uint k = 0u; k < ROW_WIDTH; ++k) rowMaximum = max(rowMaximum, x4[k]);
    }
    rowMaximum = rowMax(vec4(rowMaximum), 0u).x;

    // Normalizer and sum of the shifted logits (the smoothing term needs sum log p).
    float normalizer = 0.0, shiftedSum = 0.0;
    for (uint i = lane; i < texels; i += ROW_LANES) {
        vec4 x4 = texelFetch(z, base + int(i));
        for (uint k = 0u; k < ROW_WIDTH; ++k) {
            float x = x4[k] - rowMaximum;
            normalizer += exp(x);
            shiftedSum += x;
        }
    }
    vec4 s = rowSum(vec4(normalizer, shiftedSum, 0.0, 0.0), 1u);
    normalizer = s.x;
    shiftedSum = s.y;

    int label = texelFetch(labels, int(row)).x;
    bool valid = label >= 0 && uint(label) < p.cols;
    uint labelColumn = valid ? uint(label) : 0u;
    float labelLogit = texelFetch(z, base + int(labelColumn / ROW_WIDTH))[labelColumn % ROW_WIDTH] - rowMaximum;
    float logNormalizer = log(normalizer);
    float spread = p.smoothing / float(p.cols);
    // -(1 - eps) log p_y - (eps / C) sum_c log p_c, with log p_c = x_c - logNormalizer.
    float ce = logNormalizer - (1.0 - p.smoothing) * labelLogit - spread * shiftedSum;

    float invNormalizer = 1.0 / normalizer;
    bool addGradient = (p.flags & 1u) != 0u;
    for (uint i = lane; i < texels; i += ROW_LANES) {
        vec4 x4 = texelFetch(z, base + int(i));
        vec4 g = vec4(0.0);
        for (uint k = 0u; k < ROW_WIDTH; ++k) {
            int c = int(i * ROW_WIDTH + k);
            float target = (c == label ? 1.0 - p.smoothing : 0.0) + spread;
            g[k] = valid ? p.scale * (exp(x4[k] - rowMaximum) * invNormalizer - target) : rowNaN();
        }
        uint at = uint(base) + i;
        if (ROW_VEC4) {
            dz4[at] = addGradient ? dz4[at] + g : g;
        } else {
            dz[at] = addGradient ? dz[at] + g.x : g.x;
        }
    }
    if (lane == 0u) {
        float value = valid ? p.scale * ce : rowNaN();
        loss[row] = (p.flags & 2u) != 0u ? loss[row] + value : value;
    }
}
