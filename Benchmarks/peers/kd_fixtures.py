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

It also writes CA-MKD's feature term (`--distill inter`) to a second file, `camkd_inter.safetensors`
beside the first (read by `ConfidenceAwareFeatureTermFixtureTests.swift`): a student map [4, 3, 4, 4],
three teachers' maps [4, 5, 3, 3], [4, 2, 6, 6], [4, 4, 2, 2] and their heads (global average pooling
+ fc, as a ResNet's `distill_seq()[-1]`), one `Embed` per teacher (conv1x1 with bias - BatchNorm2d in
training mode - ReLU, CA models/util.py) with random weights, the labels, and

  camkd_inter.value                  [1]   L_inter (CA distiller_zoo/CAMKD.py)
  camkd_inter.grad                   the gradient with respect to the student map
  embed<k>.transfer.<0|1>.<weight|bias>.grad   the gradients with respect to each embedding's parameters

written as CA's CalWeight.forward does, except that each teacher's resize starts from the student's own
map (CalWeight reassigns feat_s in its loop; Retort documents this difference).

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


CAMKD_BATCH, CAMKD_CLASSES, CAMKD_SEED = 4, 5, 20261207
CAMKD_STUDENT = (3, 4, 4)
CAMKD_TEACHERS = [(5, 3, 3), (2, 6, 6), (4, 2, 2)]


def camkd_resize(feat_s, t_h, t_w):
    """CalWeight's resize: adaptive average pooling when the student's map is at least as tall, else bilinear."""
    if feat_s.shape[2] >= t_h:
        return F.adaptive_avg_pool2d(feat_s, (t_h, t_w))
    return F.interpolate(feat_s, size=(t_h, t_w), mode="bilinear")


def camkd_inter(feat_s, embeds, heads, feat_t_list, target):
    """CalWeight.forward, then CAMKD.forward: confidence weights from the teachers' heads on the embedded maps."""
    trans_feat_s_list, output_feat_t_list = [], []
    for embed, head, mid_feat_t in zip(embeds, heads, feat_t_list):
        trans_feat_s = embed(camkd_resize(feat_s, mid_feat_t.shape[2], mid_feat_t.shape[3]))
        trans_feat_s_list.append(trans_feat_s)
        output_feat_t_list.append(head(trans_feat_s))
    bsz, num_teacher = target.shape[0], len(trans_feat_s_list)
    loss_t = torch.stack([F.cross_entropy(logit_t, target, reduction="none") for logit_t in output_feat_t_list], dim=0)
    weight = (1.0 - F.softmax(loss_t, dim=0)) / (num_teacher - 1)
    loss_st = torch.stack([F.mse_loss(s, t, reduction="none").reshape(bsz, -1).mean(-1)
                           for s, t in zip(trans_feat_s_list, feat_t_list)], dim=0)
    return torch.mul(weight, loss_st).sum() / (1.0 * bsz * num_teacher)


def camkd_fixtures():
    generator = torch.Generator().manual_seed(CAMKD_SEED)
    feat_s = torch.randn(CAMKD_BATCH, *CAMKD_STUDENT, generator=generator).requires_grad_(True)
    fixtures, embeds, heads, feat_t_list = {}, [], [], []
    for k, (channels, height, width) in enumerate(CAMKD_TEACHERS):
        feat_t = torch.rand(CAMKD_BATCH, channels, height, width, generator=generator)
        embed = torch.nn.Sequential(torch.nn.Conv2d(CAMKD_STUDENT[0], channels, kernel_size=1), torch.nn.BatchNorm2d(channels),
                                    torch.nn.ReLU())
        fc = torch.nn.Linear(channels, CAMKD_CLASSES)
        with torch.no_grad():
            for tensor in [embed[0].weight, embed[0].bias, embed[1].bias, fc.weight, fc.bias]:
                tensor.copy_(0.5 * torch.randn(tensor.shape, generator=generator))
            embed[1].weight.copy_(1 + 0.3 * torch.randn(channels, generator=generator))
        for parameter in fc.parameters():
            parameter.requires_grad_(False)   # the frozen teacher's head
        embed.train()
        embeds.append(embed)
        heads.append(lambda x, fc=fc: fc(F.adaptive_avg_pool2d(x, 1).flatten(1)))
        feat_t_list.append(feat_t)
        fixtures[f"teacher{k}"] = feat_t
        fixtures[f"head{k}.weight"], fixtures[f"head{k}.bias"] = fc.weight, fc.bias
        for index in (0, 1):
            fixtures[f"embed{k}.transfer.{index}.weight"] = embed[index].weight.detach().clone()
            fixtures[f"embed{k}.transfer.{index}.bias"] = embed[index].bias.detach().clone()
    target = torch.randint(0, CAMKD_CLASSES, (CAMKD_BATCH,), generator=generator)
    value = camkd_inter(feat_s, embeds, heads, feat_t_list, target)
    value.backward()
    fixtures.update({"student": feat_s.detach(), "labels": target.float(), "camkd_inter.value": value.detach().reshape(1),
                     "camkd_inter.grad": feat_s.grad})
    for k, embed in enumerate(embeds):
        for index in (0, 1):
            fixtures[f"embed{k}.transfer.{index}.weight.grad"] = embed[index].weight.grad
            fixtures[f"embed{k}.transfer.{index}.bias.grad"] = embed[index].bias.grad
    print(f"camkd_inter: {value.item():.6f}")
    return fixtures


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
    write_safetensors(os.path.join(os.path.dirname(out), "camkd_inter.safetensors"), camkd_fixtures())


if __name__ == "__main__":
    main()
