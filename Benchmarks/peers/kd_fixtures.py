"""Reference values and gradients of the logit distillation losses, computed with PyTorch.

Builds one fixed batch (student and teacher logits [8, 10] from a seeded torch.Generator, labels),
evaluates each loss with the formula of the method's reference code written out in PyTorch, takes
the gradient with respect to the student logits by autograd, and writes everything to one
safetensors file that `Tests/RetortDistillTests/Losses/PyTorchLossFixtureTests.swift` reads:

  student, teacher   [8, 10]   the logits
  labels             [8]       class indices, stored as float32
  <case>.value       [1]       the loss
  <case>.grad        [8, 10]   d loss / d student logits

Cases (reference code in parentheses):
  kd_t4        KD, batchmean x T^2, T = 4                         (RepDistiller / mdistiller KD)
  dkd          DKD, alpha 1, beta 8, T 4, warm-up factor 1        (mdistiller distillers/DKD.py)
  dkd_t1       DKD, alpha 2, beta 0.5, T 1, warm-up factor 0.25
  nkd_t1       NKD, temp 1, gamma 1.5                             (cls_KD 1.0 dis_losses/nkd.py)
  nkd_t3       NKD, temp 3, gamma 3.5
  tf_nkd       tf-NKD (hard labels)                               (cls_KD de48db4 classification_distiller.py)
  dist_t1      DIST, beta 1, gamma 1, tau 1                       (image_classification_sota dist_kd.py)
  dist_t4      DIST, beta 1, gamma 1, tau 4

usage: python kd_fixtures.py [OUTPUT_FILE]
       (default: Tests/RetortDistillTests/Fixtures/kd_losses.safetensors next to this repository)
"""
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from parity import write_safetensors  # noqa: E402

BATCH, CLASSES, SEED = 8, 10, 20240917


def kd(zs, zt, labels, T=4.0):
    log_ps = F.log_softmax(zs / T, dim=1)
    pt = F.softmax(zt / T, dim=1)
    return F.kl_div(log_ps, pt, reduction="none").sum(1).mean() * T ** 2


def dkd(zs, zt, labels, alpha=1.0, beta=8.0, T=4.0, warmup_factor=1.0):
    gt = F.one_hot(labels, zs.shape[1]).bool()
    other = ~gt
    B = zs.shape[0]

    def binary(p):  # [B, 2]: probability of the label, of everything else
        return torch.cat([(p * gt).sum(1, keepdim=True), (p * other).sum(1, keepdim=True)], dim=1)

    bs = binary(F.softmax(zs / T, dim=1))
    bt = binary(F.softmax(zt / T, dim=1))
    tckd = F.kl_div(torch.log(bs), bt, reduction="sum") * T ** 2 / B
    pt_non = F.softmax(zt / T - 1000.0 * gt, dim=1)
    log_ps_non = F.log_softmax(zs / T - 1000.0 * gt, dim=1)
    nckd = F.kl_div(log_ps_non, pt_non, reduction="sum") * T ** 2 / B
    return warmup_factor * (alpha * tckd + beta * nckd)


def nkd(zs, zt, labels, temp=1.0, gamma=1.5):
    B, C = zs.shape
    index = labels.view(B, 1)
    s_target = torch.gather(F.log_softmax(zs, dim=1), 1, index)
    t_target = torch.gather(F.softmax(zt, dim=1), 1, index).detach()
    loss_target = -(t_target * s_target).mean()
    keep = torch.ones_like(zs).scatter_(1, index, 0).bool()
    zs_non = zs[keep].reshape(B, C - 1)
    zt_non = zt[keep].reshape(B, C - 1)
    soft_cross = (F.softmax(zt_non / temp, dim=1) * F.log_softmax(zs_non / temp, dim=1)).sum(1).mean()
    return loss_target - gamma * temp ** 2 * soft_cross


def tf_nkd(zs, zt, labels):
    y_t = torch.gather(F.softmax(zs, dim=1), 1, labels.view(-1, 1))
    w_t = (y_t + 1 - y_t.mean()).detach()
    return -(w_t * torch.log(y_t)).mean()


def pearson(a, b, eps=1e-8):
    a = a - a.mean(1, keepdim=True)
    b = b - b.mean(1, keepdim=True)
    return (a * b).sum(1) / (a.norm(dim=1) * b.norm(dim=1) + eps)


def dist(zs, zt, labels, beta=1.0, gamma=1.0, tau=1.0):
    ys = F.softmax(zs / tau, dim=1)
    yt = F.softmax(zt / tau, dim=1)
    inter = tau ** 2 * (1 - pearson(ys, yt).mean())
    intra = tau ** 2 * (1 - pearson(ys.t(), yt.t()).mean())
    return beta * inter + gamma * intra


CASES = {
    "kd_t4": lambda s, t, y: kd(s, t, y, T=4.0),
    "dkd": lambda s, t, y: dkd(s, t, y, alpha=1.0, beta=8.0, T=4.0, warmup_factor=1.0),
    "dkd_t1": lambda s, t, y: dkd(s, t, y, alpha=2.0, beta=0.5, T=1.0, warmup_factor=0.25),
    "nkd_t1": lambda s, t, y: nkd(s, t, y, temp=1.0, gamma=1.5),
    "nkd_t3": lambda s, t, y: nkd(s, t, y, temp=3.0, gamma=3.5),
    "tf_nkd": lambda s, t, y: tf_nkd(s, t, y),
    "dist_t1": lambda s, t, y: dist(s, t, y, tau=1.0),
    "dist_t4": lambda s, t, y: dist(s, t, y, tau=4.0),
}


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "Tests/RetortDistillTests/Fixtures/kd_losses.safetensors")
    generator = torch.Generator().manual_seed(SEED)
    student = 2.0 * torch.randn(BATCH, CLASSES, generator=generator)
    teacher = 3.0 * torch.randn(BATCH, CLASSES, generator=generator)
    labels = torch.randint(0, CLASSES, (BATCH,), generator=generator)
    fixtures = {"student": student, "teacher": teacher, "labels": labels.float()}
    for name, loss in CASES.items():
        zs = student.clone().requires_grad_(True)
        value = loss(zs, teacher, labels)   # the teacher is a constant, as under torch.no_grad() in training
        value.backward()
        fixtures[f"{name}.value"] = value.detach().reshape(1)
        fixtures[f"{name}.grad"] = zs.grad
        print(f"{name}: {value.item():.6f}")
    write_safetensors(out, fixtures)


if __name__ == "__main__":
    main()
