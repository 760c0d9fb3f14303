// ReLU and ReLU6 as PyTorch defines them, shared by the kernels that apply it (relu.comp and the batch-norm
// kernels that fuse it).

// max(v, 0), keeping NaN.
vec4 rectified(vec4 v) { return mix(max(v, vec4(0.0)), v, isnan(v)); }

// The gradient through a ReLU, from its output (or input) y: 0 where y ≤ 0, dy elsewhere
// (threshold_backward: a NaN y passes the gradient).
vec4 rectifiedGradient(vec4 dy, vec4 y) { return mix(dy, vec4(0.0), lessThanEqual(y, vec4(0.0))); }

// min(max(v, 0), 6), keeping NaN (PyTorch's ReLU6, hardtanh(v, 0, 6)).
vec4 rectified6(vec4 v) { return mix(clamp(v, vec4(0.0), vec4(6.0)), v, isnan(v)); }

// The gradient through a ReLU6, from its output (or input) y: 0 where y ≤ 0 or y ≥ 6, dy elsewhere
// (hardtanh_backward: a NaN y passes the gradient).
vec4 rectified6Gradient(vec4 dy, vec4 y) {
    return mix(mix(dy, vec4(0.0), lessThanEqual(y, vec4(0.0))), vec4(0.0), greaterThanEqual(y, vec4(6.0)));
}
