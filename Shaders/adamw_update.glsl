// The element-wise torch.optim.AdamW update of adamw.comp and adamw_multi_tensor.comp (amsgrad off,
// PyTorch's order of operations): one definition, so both compute the same bits. Include it after
// the push block `p` (decay, oneMinusBeta1, beta2, oneMinusBeta2, stepSize, bias2Sqrt, eps, maximize).
//   g = maximize ? -grad : grad
//   param *= decay                                   decay = 1 - lr * weightDecay
//   m = lerp(m, g, 1 - beta1)
//   v = v * beta2 + (1 - beta2) * g * g
//   param += -stepSize * (m / (sqrt(v) / bias2Sqrt + eps))

// Updates (w, mi, vi) for gradient g; returns the new parameter.
vec4 adamwUpdate(vec4 w, vec4 g, inout vec4 mi, inout vec4 vi) {
    if (p.maximize != 0u) g = -g;
    w *= p.decay;
    // torch.lerp: start + weight * (end - start) for |weight| < 0.5, else end - (end - start) * (1 - weight).
    float weight = p.oneMinusBeta1;
    mi = abs(weight) < 0.5 ? mi + weight * (g - mi) : g - (g - mi) * (1.0 - weight);
    vi = vi * p.beta2 + p.oneMinusBeta2 * g * g;
    vec4 denom = sqrt(vi) / p.bias2Sqrt + p.eps;
    return w + (-p.stepSize) * (mi / denom);
}
