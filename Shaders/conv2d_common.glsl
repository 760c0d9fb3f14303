// Shared declarations of the conv2d kernels (conv2d.comp, conv2d_backward_data.comp,
// conv2d_backward_filter.comp).
//
// Layout NCHW, fp32. x: [N, C, H, W], w: [K, C/groups, KH, KW], y: [N, K, OH, OW] with
//   OH = (H + 2·PH − DH·(KH − 1) − 1) / SH + 1   (likewise OW).
// The window geometry is specialized (the loops over taps unroll and small per-invocation arrays
// stay in registers); the tensor sizes come in push constants.
//
// Lavapipe notes: read-only tensors come through texel buffers; every invocation keeps a register
// block of outputs and loops; there is no shared memory and no barrier.

#extension GL_EXT_control_flow_attributes : require

layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;

layout(constant_id = 3) const uint KH = 3;   // kernel height
layout(constant_id = 4) const uint KW = 3;   // kernel width
layout(constant_id = 5) const uint SH = 1;   // stride
layout(constant_id = 6) const uint SW = 1;
layout(constant_id = 7) const uint PH = 1;   // zero padding
layout(constant_id = 8) const uint PW = 1;
layout(constant_id = 9) const uint DH = 1;   // dilation
layout(constant_id = 10) const uint DW = 1;
layout(constant_id = 11) const uint TM = 4;  // channels per invocation (register block rows)
layout(constant_id = 12) const uint TN = 8;  // pixels per invocation along a row (register block columns)
// Read the image operand through an RGBA32F view, four floats per fetch. The launcher sets it only
// when rows are 16-byte aligned (row width % 4 == 0), the stride along W is 1 and TN % 4 == 0.
layout(constant_id = 13) const bool VEC_ROWS = false;
// Kernel-specific switch (forward: bias; backward filter: pass).
layout(constant_id = 14) const uint VARIANT = 0;

layout(push_constant) uniform Push {
    uint N; uint C; uint H; uint W;     // input  [N, C, H, W]
    uint K; uint OH; uint OW;           // output [N, K, OH, OW]
    uint cinG; uint coutG;              // channels per group (C / groups, K / groups)
    uint blocksX; uint blocksY;         // kernel-specific block counts
    uint rows0; uint rows1;             // kernel-specific range (backward filter split)
} p;

const uint KK = KH * KW;

#include "conv2d_rows.glsl"
