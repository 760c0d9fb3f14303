#!/usr/bin/env python3
"""torchvision's loader throughput for `retort-bench data`: `ImageFolder` + `DataLoader(num_workers=N)`
over the same folder Retort's loader reads, with the same training transforms (RandomResizedCrop(SIZE)
with scale (0.08, 1) and ratio (3/4, 4/3), bilinear; RandomHorizontalFlip; ToTensor; Normalize with
ImageNet's mean and std) and batch size, shuffled. One warm-up epoch (it starts the workers, which stay
up: persistent_workers) is reported apart from the timed epochs.
Prints {"images": N, "warmup_seconds": s, "epoch_seconds": [s, ...], "images_per_second": r}.

usage: python data_peer.py --root DIR --size SIZE [--workers N] [--batch-size N] [--epochs N]
DIR holds one folder per class (torchvision's ImageFolder layout).
"""
import argparse
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torchvision_cpu import torchvision  # noqa: E402  (torchvision without its CUDA-linked operators)

IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", required=True)
    parser.add_argument("--size", type=int, required=True)
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()

    transforms = torchvision.transforms
    transform = transforms.Compose([
        transforms.RandomResizedCrop(args.size),
        transforms.RandomHorizontalFlip(),
        transforms.ToTensor(),
        transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD),
    ])
    dataset = torchvision.datasets.ImageFolder(args.root, transform=transform)
    loader = torch.utils.data.DataLoader(dataset, batch_size=args.batch_size, shuffle=True, num_workers=args.workers,
                                         persistent_workers=args.workers > 0)
    torch.manual_seed(0)
    seconds = []
    for _ in range(1 + args.epochs):
        start = time.perf_counter()
        images = 0
        for batch, _labels in loader:
            images += batch.shape[0]
        seconds.append(time.perf_counter() - start)
        if images != len(dataset):
            sys.exit(f"an epoch gave {images} images, the folder holds {len(dataset)}")
    timed = seconds[1:]
    print(json.dumps({"images": len(dataset), "warmup_seconds": seconds[0], "epoch_seconds": timed,
                      "images_per_second": len(dataset) * len(timed) / sum(timed)}))


if __name__ == "__main__":
    main()
