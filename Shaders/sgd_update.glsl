// The element-wise torch.optim.SGD update of sgd.comp and sgd_multi_tensor.comp: one definition, so
// both compute the same bits. Include it after the push block `p` (lr, momentum, oneMinusDampening,
// weightDecay, nesterov, maximize).
//   g = (maximize ? -grad : grad) + weightDecay * param
//   momentum != 0: buf = firstStep ? g : momentum * buf + (1 - dampening) * g
//                  g = nesterov ? g + momentum * buf : buf
//   param = param - lr * g

// Returns the new parameters w for gradients g; updates the momentum buffer b.
vec4 sgdUpdate(vec4 w, vec4 g, inout vec4 b, bool firstStep) {
    if (p.maximize != 0u) g = -g;
    if (p.weightDecay != 0.0) g = g + p.weightDecay * w;
    if (p.momentum != 0.0) {
        b = firstStep ? g : p.momentum * b + p.oneMinusDampening * g;
        g = p.nesterov != 0u ? g + p.momentum * b : b;
    }
    return w - p.lr * g;
}
