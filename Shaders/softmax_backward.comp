#version 450
// Backward of softmax / log-softmax with temperature (the forward is softmax.comp).
// y: [B, C] forward output, dy: [B, C] its gradient (R32F texel buffers); dx: [B, C].
//   mode 0, y = softmax(x / T):      dx = y * (dy - sum_c dy * y) / T
//   mode 1, y = log_softmax(x / T):  dx = (dy - exp(y) * sum_c dy) / T
// flags bit 0: dx += gradient instead of dx = gradient.
#define ROW_SLOTS 1u
#include "softmax_rows.glsl"

layout(binding = 0) uniform samplerBuffer y;
layout(binding = 1) uniform samplerBuffer dy;
layout(binding = 2) buffer Gradient { float dx[]; };

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
    int base = int(row * p.cols);
    bool logarithmic = p.mode == 1u;

    float dot = 0.0;
    for (uint c = lane; c < p.cols; c += ROW_LANES) {
        float g = texelFetch(dy, base + int(c)).x;
        dot += logarithmic ? g : g * texelFetch(y, base + int(c)).x;
    }
    dot = rowSum(vec4(dot), 0u).x;

    bool addGradient = (p.flags & 1u) != 0u;
    for (uint c = lane; c < p.cols; c += ROW_LANES) {
        float forward = texelFetch(y, base + int(c)).x;
        float g = texelFetch(dy, base + int(c)).x;
        float d = (logarithmic ? g - exp(forward) * dot : forward * (g - dot)) * p.invT;
        uint i = uint(base) + c;
        dx[i] = addGradient ? dx[i] + d : d;
    }
}
