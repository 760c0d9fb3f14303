#version 450
// Fused temperature softmax + KL divergence + gradient w.r.t. the student logits, one dispatch.
// zs, zt: [B, C] student / teacher logits (texel buffers); dzs: [B, C]; loss: [B].
//
// With a = zt / T, b = zs / T, p_t = softmax(a), p_s = softmax(b):
//   mode 0 (forward KL, classic KD):  loss[r] = scale * KL(p_t || p_s)
//                                     dzs    = scale * (p_s - p_t) / T
//   mode 1 (reverse KL, e.g. BD-KD):  loss[r] = scale * KL(p_s || p_t)
//                                     dzs    = scale * p_s * (log p_s - log p_t - KL(p_s || p_t)) / T
// The caller folds T^2, 1/B (batchmean) or 1/(B*C) (element mean) and the loss weight into
// `scale`; summing loss[] over rows then gives the loss whose gradient dzs is.
// flags bit 0: dzs += gradient instead of dzs = gradient; bit 1: the same for loss[].
//
// Three sweeps over a row (maxima; exponential sums; gradient), each reading both inputs: logits
// of any magnitude stay finite because exponents are taken of max-subtracted values. Identical
// logits give exactly zero loss and gradient (both sides go through the same operations, d = 0).
#define ROW_SLOTS 3u
#include "softmax_rows.glsl"

layout(binding = 0) uniform samplerBuffer zs;
layout(binding = 1) uniform samplerBuffer zt;
layout(binding = 2) buffer Gradient { float dzs[]; };
layout(binding = 2) buffer Gradient4 { vec4 dzs4[]; };
layout(binding = 3) buffer Loss { float loss[]; };

layout(push_constant) uniform Push {
    uint rows;
    uint cols;
    float invT;   // 1 / temperature
    float scale;
    uint mode;    // 0 forward KL(p_t || p_s), 1 reverse KL(p_s || p_t)
    uint flags;   // bit 0 accumulate dzs, bit 1 accumulate loss
} p;

void main() {
    uint row = rowIndex();
    if (row >= p.rows) return;
    uint lane = rowLane();
    uint texels = rowTexels(p.cols);
    int base = int(row * texels);
    bool reverse = p.mode == 1u;

    // Sweep 1: row maxima of the raw logits (the max commutes with the positive 1/T), and the
    // teacher logit where the student's is largest (first such column of this invocation).
    float maxS = LOWEST, maxT = LOWEST, teacherAtMaxS = 0.0;
    for (uint i = lane; i < texels; i += ROW_LANES) {
        vec4 s4 = texelFetch(zs, base + int(i)), t4 = texelFetch(zt, base + int(i));
        for (uint k = 0u; k < ROW_WIDTH; ++k) {
            if (s4[k] > maxS) teacherAtMaxS = t4[k];
            maxS = max(maxS, s4[k]);
            maxT = max(maxT, t4[k]);
        }
    }
    vec4 m = rowMax(vec4(maxS, maxT, 0.0, 0.0), 0u);
    if (ROW_LANES > 1u) {
        // Ties between invocations resolve to the largest teacher logit: still deterministic.
        teacherAtMaxS = rowMax(vec4(maxS == m.x ? teacherAtMaxS : LOWEST), 1u).x;
    }
    maxS = m.x;
    maxT = m.y;

    // With a = zt / T - max, b = zs / T - max and d = a - b, everything below uses d' = d - d0,
    // d0 = d at the student's arg-max. This keeps the reverse gradient accurate when p_s is
    // (nearly) one-hot and the logits are large: there d'_j = 0 exactly where p_s is 1, instead of
    // a difference of two numbers of the logits' magnitude.
    float d0 = (teacherAtMaxS - maxT) * p.invT;

    // Sweep 2: partition functions and the cross term sum(e * d'), weighted by the distribution
    // the divergence is taken under.
    float sumS = 0.0, sumT = 0.0, cross = 0.0;
    for (uint i = lane; i < texels; i += ROW_LANES) {
        vec4 s4 = texelFetch(zs, base + int(i)), t4 = texelFetch(zt, base + int(i));
        for (uint k = 0u; k < ROW_WIDTH; ++k) {
            float b = (s4[k] - maxS) * p.invT;
            float a = (t4[k] - maxT) * p.invT;
            float eb = exp(b), ea = exp(a);
            sumS += eb;
            sumT += ea;
            cross += (reverse ? eb : ea) * (a - b - d0);
        }
    }
    vec4 s = rowSum(vec4(sumS, sumT, cross, 0.0), 2u);
    sumS = s.x;
    sumT = s.y;
    float logRatio = log(sumT) - log(sumS);  // log p_s - log p_t = logRatio - d
    float weightedShift = reverse ? s.z / sumS : s.z / sumT;  // E[d'] under p_s (reverse) or p_t
    // forward: sum p_t (log p_t - log p_s) = E_t[d] - logRatio = d0 + E_t[d'] - logRatio
    // reverse: sum p_s (log p_s - log p_t) = logRatio - E_s[d] = logRatio - d0 - E_s[d']
    float kl = reverse ? logRatio - d0 - weightedShift : d0 + weightedShift - logRatio;

    // Sweep 3: the gradient. Reverse: p_s (log p_s - log p_t - KL) = p_s (E_s[d'] - d').
    float invSumS = 1.0 / sumS, invSumT = 1.0 / sumT;
    float g0 = p.scale * p.invT;
    bool addGradient = (p.flags & 1u) != 0u;
    for (uint i = lane; i < texels; i += ROW_LANES) {
        vec4 s4 = texelFetch(zs, base + int(i)), t4 = texelFetch(zt, base + int(i));
        vec4 g = vec4(0.0);
        for (uint k = 0u; k < ROW_WIDTH; ++k) {
            float b = (s4[k] - maxS) * p.invT;
            float a = (t4[k] - maxT) * p.invT;
            float ps = exp(b) * invSumS;
            g[k] = g0 * (reverse ? ps * (weightedShift - (a - b - d0)) : ps - exp(a) * invSumT);
        }
        uint at = uint(base) + i;
        if (ROW_VEC4) {
            dzs4[at] = addGradient ? dzs4[at] + g : g;
        } else {
            dzs[at] = addGradient ? dzs[at] + g.x : g.x;
        }
    }
    if (lane == 0u) {
        float value = p.scale * kl;
        loss[row] = (p.flags & 2u) != 0u ? loss[row] + value : value;
    }
}
