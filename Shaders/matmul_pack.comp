#version 450
// Packs a strided (possibly transposed) matrix into the dense zero-padded layout matmul.comp reads:
//   dst[b][r][c] = r < rows && c < cols ? src[b·srcBatch + r·rowStride + c·colStride] : 0
// src: any layout, read through an R32F texel buffer; dst: [batch][rowsPadded][colsPadded].
// 16-bit variants: src and dst in the precision.
// precisions: fp16 bf16
#extension GL_GOOGLE_include_directive : require
#include "precision.glsl"
layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;

layout(binding = 0) uniform valueSampler src;
layout(binding = 1) writeonly buffer Dst { value_t dst[]; };

layout(push_constant) uniform Push {
    uint rows; uint cols; uint rowsPadded; uint colsPadded;
    uint rowStride; uint colStride; uint srcBatch;
} p;

void main() {
    uint c = gl_GlobalInvocationID.x;
    uint r = gl_GlobalInvocationID.y;
    uint b = gl_GlobalInvocationID.z;
    if (c >= p.colsPadded || r >= p.rowsPadded) return;
    float v = 0.0;
    if (r < p.rows && c < p.cols) v = FETCH(src, int(b * p.srcBatch + r * p.rowStride + c * p.colStride)).x;
    dst[(b * p.rowsPadded + r) * p.colsPadded + c] = FROM_FLOAT(v);
}
