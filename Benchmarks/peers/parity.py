#!/usr/bin/env python3
"""PyTorch parity fixtures for Retort's engine tests.

Builds resnet8x4, wrn_16_2 and plane4 exactly as RepDistiller / TAKD define them, fills every
state_dict entry from a SplitMix64 stream that Retort's tests reproduce bit for bit (so no weights
are stored), and writes per model a small safetensors file with:
  eval_logits   [4, classes]  eval-mode logits of a fixed input batch
  train_loss    [1]           cross-entropy of one train-mode step
  after.<key>   [<=64]        the first values of every parameter and buffer after one SGD step
                              (lr 0.1, momentum 0.9, weight decay 5e-4)

usage: python parity.py OUTPUT_DIR       (needs torch; `make parity-fixtures` runs it in the peers venv)
"""
import json
import math
import struct
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

MASK = (1 << 64) - 1


class SplitMix64:
    def __init__(self, seed):
        self.state = seed & MASK

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def unit(self):
        """A double in [0, 1) from the top 53 bits."""
        return (self.next() >> 11) * 2.0 ** -53


def fill_value(key, shape, index, rng):
    """The value of element `index` of state_dict entry `key` (same rule in Retort's tests)."""
    u = rng.unit()
    if key.endswith("running_mean"):
        return 0.1 * (2 * u - 1)
    if key.endswith("running_var"):
        return 1 + 0.5 * u
    if key.endswith("bias"):
        return 0.1 * (2 * u - 1)
    if len(shape) == 1:  # batch-norm weight
        return 1 + 0.2 * (2 * u - 1)
    fan_in = math.prod(shape[1:])
    return (2 * u - 1) * math.sqrt(6 / fan_in)


def fill(model, seed):
    rng = SplitMix64(seed)
    state = model.state_dict()
    for key in sorted(state):
        tensor = state[key]
        if key.endswith("num_batches_tracked"):
            tensor.zero_()
            continue
        shape = list(tensor.shape)
        values = [fill_value(key, shape, i, rng) for i in range(tensor.numel())]
        tensor.copy_(torch.tensor(values, dtype=torch.float64).reshape(shape).to(torch.float32))


def batch(seed, shape):
    rng = SplitMix64(seed)
    return torch.tensor([2 * rng.unit() - 1 for _ in range(math.prod(shape))], dtype=torch.float64).reshape(shape).float()


# RepDistiller models/resnet.py (CIFAR)
class BasicBlock(nn.Module):
    def __init__(self, inplanes, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or inplanes != planes:
            self.downsample = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + (self.downsample(x) if self.downsample is not None else x))


class ResNet(nn.Module):
    def __init__(self, depth, filters, classes):
        super().__init__()
        n = (depth - 2) // 6
        self.conv1 = nn.Conv2d(3, filters[0], 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(filters[0])
        inplanes = filters[0]
        stages = []
        for planes, stride in zip(filters[1:], [1, 2, 2]):
            blocks = []
            for i in range(n):
                blocks.append(BasicBlock(inplanes, planes, stride if i == 0 else 1))
                inplanes = planes
            stages.append(nn.Sequential(*blocks))
        self.layer1, self.layer2, self.layer3 = stages
        self.fc = nn.Linear(filters[3], classes)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(F.avg_pool2d(x, 8).flatten(1))


# RepDistiller models/wrn.py
class WideBlock(nn.Module):
    def __init__(self, inp, out, stride):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(inp)
        self.conv1 = nn.Conv2d(inp, out, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out)
        self.conv2 = nn.Conv2d(out, out, 3, 1, 1, bias=False)
        self.equal = inp == out
        self.convShortcut = None if self.equal else nn.Conv2d(inp, out, 1, stride, 0, bias=False)

    def forward(self, x):
        if not self.equal:
            x = F.relu(self.bn1(x))
            out = x
        else:
            out = F.relu(self.bn1(x))
        out = self.conv2(F.relu(self.bn2(self.conv1(out))))
        return out + (x if self.equal else self.convShortcut(x))


class NetworkBlock(nn.Module):
    def __init__(self, count, inp, out, stride):
        super().__init__()
        self.layer = nn.Sequential(*[WideBlock(inp if i == 0 else out, out, stride if i == 0 else 1) for i in range(count)])

    def forward(self, x):
        return self.layer(x)


class WideResNet(nn.Module):
    def __init__(self, depth, k, classes):
        super().__init__()
        n = (depth - 4) // 6
        ch = [16, 16 * k, 32 * k, 64 * k]
        self.conv1 = nn.Conv2d(3, ch[0], 3, 1, 1, bias=False)
        self.block1 = NetworkBlock(n, ch[0], ch[1], 1)
        self.block2 = NetworkBlock(n, ch[1], ch[2], 2)
        self.block3 = NetworkBlock(n, ch[2], ch[3], 2)
        self.bn1 = nn.BatchNorm2d(ch[3])
        self.fc = nn.Linear(ch[3], classes)

    def forward(self, x):
        x = self.block3(self.block2(self.block1(self.conv1(x))))
        return self.fc(F.avg_pool2d(F.relu(self.bn1(x)), 8).flatten(1))


# TAKD plain_cnn_cifar.py (CIFAR-10 book): plane4 = Conv16, Conv16, MP, Conv32, Conv32, MP, FC10
class Plane4(nn.Module):
    def __init__(self, classes):
        super().__init__()
        layers, channels = [], 3
        for item in ["Conv16", "Conv16", "MP", "Conv32", "Conv32", "MP"]:
            if item == "MP":
                layers.append(nn.MaxPool2d(2, 2))
            else:
                width = int(item[4:])
                layers += [nn.Conv2d(channels, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(inplace=True)]
                channels = width
        self.convolutions = len(layers)
        layers.append(nn.Linear(channels * 8 * 8, classes))
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        for layer in self.layers[: self.convolutions]:
            x = layer(x)
        return self.layers[self.convolutions](x.flatten(1))


MODELS = {
    "resnet8x4": (lambda: ResNet(8, [32, 64, 128, 256], 100), 100),
    "wrn_16_2": (lambda: WideResNet(16, 2, 100), 100),
    "plane4": (lambda: Plane4(10), 10),
}
WEIGHT_SEED, INPUT_SEED = 2024, 7
LABELS = [3, 1, 4, 1]


def write_safetensors(path, tensors):
    """Keys sorted; int64 tensors (num_batches_tracked) as I64, every other one as F32."""
    header, chunks, offset = {}, [], 0
    for name in sorted(tensors):
        tensor = tensors[name].detach().contiguous()
        dtype, tensor = ("I64", tensor) if tensor.dtype == torch.int64 else ("F32", tensor.float())
        data = tensor.numpy().tobytes()
        header[name] = {"dtype": dtype, "shape": list(tensor.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "."
    torch.manual_seed(0)
    torch.use_deterministic_algorithms(True)
    x = batch(INPUT_SEED, [4, 3, 32, 32])
    for name, (make, classes) in MODELS.items():
        model = make()
        fill(model, WEIGHT_SEED)
        model.eval()
        with torch.no_grad():
            eval_logits = model(x)
        model.train()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
        loss = F.cross_entropy(model(x), torch.tensor(LABELS))
        loss.backward()
        optimizer.step()
        fixtures = {"eval_logits": eval_logits, "train_loss": loss.detach().reshape(1)}
        for key, value in model.state_dict().items():
            if not key.endswith("num_batches_tracked"):
                fixtures["after." + key] = value.flatten()[:64]
        write_safetensors(f"{out}/{name}.safetensors", fixtures)
        print(f"{name}: eval logits {tuple(eval_logits.shape)}, train loss {loss.item():.6f}")


if __name__ == "__main__":
    main()
