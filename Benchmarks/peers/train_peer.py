#!/usr/bin/env python3
"""PyTorch (CPU) training throughput for `retort-bench train --peers`: the same models, batch and
step (forward, cross-entropy, backward, SGD momentum 0.9 / weight decay 5e-4) on random 3x32x32
images, after 2 warm-up steps. Prints {"pytorch-cpu": {model: images_per_second}}.

usage: python train_peer.py [--batch-size N] [--steps N] MODEL...
"""
import argparse
import json
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from parity import ResNet, WideResNet  # noqa: E402  (the RepDistiller definitions)
from distill_peer import PlainCNN  # noqa: E402  (TAKD's plain CNNs)


MODELS = {
    "resnet8x4": lambda: ResNet(8, [32, 64, 128, 256], 100),
    "resnet8": lambda: ResNet(8, [16, 16, 32, 64], 100),
    "wrn_16_2": lambda: WideResNet(16, 2, 100),
    "plane6": lambda: PlainCNN(["Conv32", "Conv32", "MP", "Conv64", "Conv64", "MP", "Conv128", "Conv128"], 100, channels=3, size=32),
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--steps", type=int, default=7)
    parser.add_argument("models", nargs="*", default=["resnet8x4", "wrn_16_2", "plane6"])
    args = parser.parse_args()
    rates = {}
    x = torch.randn(args.batch_size, 3, 32, 32)
    y = torch.arange(args.batch_size) % 100
    for name in args.models:
        if name not in MODELS:
            print(f"train_peer: no PyTorch definition for {name}", file=sys.stderr)
            continue
        model = MODELS[name]()
        model.train()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
        times = []
        for step in range(2 + args.steps):
            start = time.perf_counter()
            optimizer.zero_grad()
            F.cross_entropy(model(x), y).backward()
            optimizer.step()
            if step >= 2:
                times.append(time.perf_counter() - start)
        median = sorted(times)[len(times) // 2]
        rates[name] = round(args.batch_size / median, 1)
        print(f"  pytorch-cpu  {name:12s} {rates[name]:8.1f} images/s ({median * 1e3:.1f} ms/step)", file=sys.stderr)
    print(json.dumps({"pytorch-cpu": rates}))


if __name__ == "__main__":
    main()
