#version 450
// Conversion between fp32 and a 16-bit precision, with an optional scale: the cast of mixed-precision
// training (a parameter's fp32 master copy to its 16-bit working copy, a 16-bit gradient back to fp32).
// precisions: fp16 bf16
//   MODE 0 narrow: y16 = round(scale · x32)     bindings: 0 x [count] fp32, 1 y [count] 16-bit
//   MODE 1 widen:  y32 = scale · x16            bindings: 0 x [count] 16-bit, 1 y [count] fp32
// (Compiled for fp32 too, where both modes are a scaled copy.) Rounding is to nearest even; values
// beyond the 16-bit range become ±inf, NaN stays NaN.
#extension GL_GOOGLE_include_directive : require
#include "precision.glsl"
#include "elementwise_span.glsl"
layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;
layout(constant_id = 3) const uint MODE = 0;

layout(binding = 0) readonly buffer Wide { float wide[]; };
layout(binding = 0) readonly buffer NarrowIn { value_t narrowIn[]; };
layout(binding = 1) writeonly buffer NarrowOut { value_t narrowOut[]; };
layout(binding = 1) writeonly buffer WideOut { float wideOut[]; };

layout(push_constant) uniform Push { uint count; float scale; } p;

void main() {
    uint first, end, step;
    subgroupSpan(p.count, first, end, step);
    for (uint i = first; i < end; i += step) {
        if (MODE == 0u) narrowOut[i] = FROM_FLOAT(p.scale * wide[i]);
        else wideOut[i] = p.scale * TO_FLOAT(narrowIn[i]);
    }
}
