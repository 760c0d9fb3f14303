#version 450
// Backward of softmax / log-softmax with temperature (the forward is softmax.comp).
// y: [B, C] forward output, dy: [B, C] its gradient (texel buffers); dx: [B, C].
//   mode 0, y = softmax(x / T):      dx = y * (dy - sum_c dy * y) / T
//   mode 1, y = log_softmax(x / T):  dx = (dy - exp(y) * sum_c dy) / T
// flags bit 0: dx += gradient instead of dx = gradient.
#define ROW_SLOTS 1u
#include "softmax_rows.glsl"

layout(binding = 0) uniform samplerBuffer y;
layout(binding = 1) uniform samplerBuffer dy;
layout(binding = 2) buffer Gradient { float dx[]; };
layout(binding = 2) buffer Gradient4 { vec4 dx4[]; };

layout(push_constant) uniform Push {
    uint rows;
    uint cols;
    float invT;  // 1 / temperature
    uint mode;   // 0 softmax, 1 log-softmax
    uint flags;  // bit 0 accumulate dx
} p;

void main() {
    uint row = rowIndex();
    if (row >= p.rows) return;
    uint lane = rowLane();
    uint texels = rowTexels(p.cols);
    int base = int(row * texels);
    bool logarithmic = p.mode == 1u;

    float dot = 0.0;
    for (uint i = lane; i < texels; i += ROW_LANES) {
        vec4 g4 = texelFetch(dy, base + int(i));
        vec4 y4 = logarithmic ? vec4(1.0) : texelFetch(y, base + int(i));
        for (uint k = 0u; k < ROW_WIDTH; ++k) dot += g4[k] * y4[k];
    }
    dot = rowSum(vec4(dot), 0u).x;

    bool addGradient = (p.flags & 1u) != 0u;
    for (uint i = lane; i < texels; i += ROW_LANES) {
        vec4 y4 = texelFetch(y, base + int(i)), g4 = texelFetch(dy, base + int(i));
        vec4 d = vec4(0.0);
        for (uint k = 0u; k < ROW_WIDTH; ++k) d[k] = (logarithmic ? g4[k] - exp(y4[k]) * dot : y4[k] * (g4[k] - dot)) * p.invT;
        uint at = uint(base) + i;
        if (ROW_VEC4) {
            dx4[at] = addGradient ? dx4[at] + d : d;
        } else {
            dx[at] = addGradient ? dx[at] + d.x : d.x;
        }
    }
}
