#!/usr/bin/env python3
"""PyTorch (CPU) training throughput for `retort-bench train --peers`: the same models, batch and
step (forward, cross-entropy, backward, SGD momentum 0.9 / weight decay 5e-4) on random 3x32x32
images (100 classes), after 2 warm-up steps. With `--distill TEACHER:STUDENT:C:SIDE:CLASSES`, the KD
step of `retort-bench train --distill` on random Cx SIDE x SIDE images: the teacher's forward in eval
mode without autograd, then the student's step with 0.1 CE + 0.9 T^2 KL_batchmean (T = 4).
Prints {"pytorch-cpu": {model or "teacher->student": images_per_second}}.

usage: python train_peer.py [--batch-size N] [--steps N] [--distill T:S:C:SIDE:CLASSES ...]
           [--plane-spec NAME:CLASSES=Conv32,MP,... ...] [MODEL...]
A plain CNN above 10 classes needs its --plane-spec (retort-bench passes Retort's own layer lists).
"""
import argparse
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from parity import ResNet, WideResNet  # noqa: E402  (the RepDistiller definitions)
from distill_peer import PLANE_SPECS, PlainCNN  # noqa: E402  (TAKD's plain CNNs, CIFAR-10 book)

RESNETS = {"resnet8": (8, [16, 16, 32, 64]), "resnet32": (32, [16, 16, 32, 64]),
           "resnet8x4": (8, [32, 64, 128, 256]), "resnet32x4": (32, [32, 64, 128, 256])}
TEMPERATURE = 4.0


def make_model(name, classes=100, channels=3, side=32, plane_specs=None):
    """A zoo model as Retort's ModelZoo.make builds it, or None when this script has no definition.
    Plain CNNs take their layers from `plane_specs[(name, classes)]` (what retort-bench passes, from
    PlainCNN.specification), else from the 10-class book."""
    if name in RESNETS and (channels, side) == (3, 32):
        return ResNet(*RESNETS[name], classes)
    if name == "wrn_16_2" and (channels, side) == (3, 32):
        return WideResNet(16, 2, classes)
    spec = (plane_specs or {}).get((name, classes)) or (PLANE_SPECS.get(name) if classes <= 10 else None)
    if spec:
        return PlainCNN(spec, classes, channels=channels, size=side)
    return None


def plane_spec(text):
    """NAME:CLASSES=Conv32,MP,... -> ((NAME, CLASSES), [layers])."""
    key, layers = text.split("=")
    name, classes = key.split(":")
    return (name, int(classes)), layers.split(",")


def median_rate(step, batch_size, steps):
    """Images/s of the median of `steps` timed calls of `step`, after 2 warm-up calls."""
    times = []
    for index in range(2 + steps):
        start = time.perf_counter()
        step()
        if index >= 2:
            times.append(time.perf_counter() - start)
    median = sorted(times)[len(times) // 2]
    return round(batch_size / median, 1), median


def training_step(model, x, y):
    model.train()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)

    def step():
        optimizer.zero_grad()
        F.cross_entropy(model(x), y).backward()
        optimizer.step()
    return step


def distillation_step(teacher, student, x, y):
    teacher.eval()
    student.train()
    for parameter in teacher.parameters():
        parameter.requires_grad_(False)
    optimizer = torch.optim.SGD(student.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)

    def step():
        optimizer.zero_grad()
        with torch.no_grad():
            target = F.softmax(teacher(x) / TEMPERATURE, dim=1)
        logits = student(x)
        kl = F.kl_div(F.log_softmax(logits / TEMPERATURE, dim=1), target, reduction="batchmean") * TEMPERATURE ** 2
        (0.1 * F.cross_entropy(logits, y) + 0.9 * kl).backward()
        optimizer.step()
    return step


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--steps", type=int, default=7)
    parser.add_argument("--distill", action="append", default=[], metavar="T:S:C:SIDE:CLASSES")
    parser.add_argument("--plane-spec", action="append", type=plane_spec, default=[], metavar="NAME:CLASSES=LAYER,...")
    parser.add_argument("models", nargs="*")
    args = parser.parse_args()
    if not args.models and not args.distill:
        args.models = ["resnet8x4", "wrn_16_2"]
    rates = {}
    specs = dict(args.plane_spec)
    for name in args.models:
        model = make_model(name, plane_specs=specs)
        if model is None:
            print(f"train_peer: no PyTorch definition for {name}", file=sys.stderr)
            continue
        x = torch.randn(args.batch_size, 3, 32, 32)
        y = torch.arange(args.batch_size) % 100
        rates[name], median = median_rate(training_step(model, x, y), args.batch_size, args.steps)
        print(f"  pytorch-cpu  {name:12s} {rates[name]:8.1f} images/s ({median * 1e3:.1f} ms/step)", file=sys.stderr)
    for item in args.distill:
        teacher_name, student_name, channels, side, classes = item.split(":")
        channels, side, classes = int(channels), int(side), int(classes)
        teacher = make_model(teacher_name, classes, channels, side, specs)
        student = make_model(student_name, classes, channels, side, specs)
        key = f"{teacher_name}->{student_name}"
        if teacher is None or student is None:
            print(f"train_peer: no PyTorch definition for {key} at {channels}x{side}x{side}", file=sys.stderr)
            continue
        x = torch.randn(args.batch_size, channels, side, side)
        y = torch.arange(args.batch_size) % classes
        rates[key], median = median_rate(distillation_step(teacher, student, x, y), args.batch_size, args.steps)
        print(f"  pytorch-cpu  {key:22s} KD {rates[key]:8.1f} images/s ({median * 1e3:.1f} ms/step)", file=sys.stderr)
    print(json.dumps({"pytorch-cpu": rates}))


if __name__ == "__main__":
    main()
