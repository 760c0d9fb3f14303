#!/usr/bin/env python3
"""torchvision's ImageNet-size models against Retort's zoo (resnet18, resnet34, resnet50,
mobilenetv2_1.0, mobilenetv2_1.4).

    python torchvision_parity.py state-dicts FILE.json
        Every model's state_dict as torchvision lists it (key, shape, dtype, in order) at 1000 classes:
        the fixture Retort's tests compare `stateDict()` against (committed; no torch in `make test`).

    python torchvision_parity.py parity DIR [--models a,b] [--classes N] [--size S] [--batch B] [--fill]
        Per model, DIR/<model>.safetensors holds a seeded input batch and torchvision's outputs for it:
          input                  [B, 3, S, S]   (with --fill: input_shape, the input being parity.py's `batch`)
          eval_logits            [B, N]         eval mode
          train_pooled           [B, D]         train mode (batch statistics): the globally pooled features
          after_train.<bn>.running_mean / .running_var   [<=16] the first running statistics after that pass
        and DIR/<model>.weights.safetensors the weights it ran with: torchvision's own initialisation
        (seeded) with randomised batch-norm statistics and affine parameters, saved from state_dict()
        unchanged (num_batches_tracked as int64), as a converted torchvision checkpoint would be.
        With --fill the weights instead come from the SplitMix64 rule of parity.py (`fill_value`),
        which Retort's tests regenerate, and no weights file is written (the committed fixture).

`make check-torchvision` runs `parity` into .build/check-torchvision and Retort's TorchvisionParityTests
on it. The committed fixtures of `make test` come from
    python torchvision_parity.py state-dicts Tests/RetortNNTests/Fixtures/torchvision_state_dicts.json
    python torchvision_parity.py parity Tests/RetortNNTests/Fixtures/torchvision --fill \
        --models resnet18,resnet50,mobilenetv2_1.0 --classes 10 --size 64 --batch 4
Import torchvision only through torchvision_cpu (see that module).
"""
import argparse
import json
import sys

import numpy as np
import torch

from parity import INPUT_SEED, WEIGHT_SEED, write_safetensors
from torchvision_cpu import torchvision

MODELS = {
    "resnet18": lambda classes: torchvision.models.resnet18(num_classes=classes),
    "resnet34": lambda classes: torchvision.models.resnet34(num_classes=classes),
    "resnet50": lambda classes: torchvision.models.resnet50(num_classes=classes),
    "mobilenetv2_1.0": lambda classes: torchvision.models.mobilenet_v2(num_classes=classes, width_mult=1.0),
    "mobilenetv2_1.4": lambda classes: torchvision.models.mobilenet_v2(num_classes=classes, width_mult=1.4),
}
DTYPES = {torch.float32: "F32", torch.int64: "I64"}
MODEL_SEED = 18


def state_dicts(path):
    fixture = {}
    for name, make in MODELS.items():
        model = make(1000)
        fixture[name] = {
            "classes": 1000,
            "parameters": sum(p.numel() for p in model.parameters()),
            "entries": [[key, list(value.shape), DTYPES[value.dtype]] for key, value in model.state_dict().items()],
        }
    # One state_dict entry per line.
    lines = []
    for name, entry in fixture.items():
        rows = ",\n".join("    " + json.dumps(row) for row in entry["entries"])
        lines.append(f'  "{name}": {{"classes": {entry["classes"]}, "parameters": {entry["parameters"]}, "entries": [\n{rows}\n  ]}}')
    with open(path, "w") as f:
        f.write("{\n" + ",\n".join(lines) + "\n}\n")
    for name, entry in fixture.items():
        print(f"{name}: {len(entry['entries'])} state_dict entries, {entry['parameters']:,} parameters")


def splitmix_units(seed, start, count):
    """Units u in [0, 1) of SplitMix64(seed) draws start … start + count − 1, as SplitMix64.unit in parity.py."""
    with np.errstate(over="ignore"):
        state = np.uint64(seed) + np.arange(start + 1, start + count + 1, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        z = (state ^ (state >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) * 2.0 ** -53


def fill(model, seed):
    """parity.py's `fill`, vectorized: the same values in the same order (keys sorted, one stream)."""
    state, drawn = model.state_dict(), 0
    for key in sorted(state):
        tensor = state[key]
        if key.endswith("num_batches_tracked"):
            tensor.zero_()
            continue
        shape, count = list(tensor.shape), tensor.numel()
        u = splitmix_units(seed, drawn, count)
        drawn += count
        if key.endswith("running_mean") or key.endswith("bias"):
            values = 0.1 * (2 * u - 1)
        elif key.endswith("running_var"):
            values = 1 + 0.5 * u
        elif len(shape) == 1:
            values = 1 + 0.2 * (2 * u - 1)
        else:
            values = (2 * u - 1) * np.sqrt(6 / np.prod(shape[1:]))
        tensor.copy_(torch.from_numpy(values.reshape(shape)).to(torch.float32))


def randomize_norms(model, generator):
    """Batch norms that do something in eval mode: statistics and affine parameters away from 0 and 1."""
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            channels = module.num_features
            with torch.no_grad():
                module.running_mean.copy_(torch.empty(channels).uniform_(-0.2, 0.2, generator=generator))
                module.running_var.copy_(torch.empty(channels).uniform_(0.5, 1.5, generator=generator))
                module.weight.copy_(torch.empty(channels).uniform_(0.5, 1.5, generator=generator))
                module.bias.copy_(torch.empty(channels).uniform_(-0.2, 0.2, generator=generator))
                module.num_batches_tracked.fill_(7)


def parity(folder, names, classes, size, batch, fill_weights):
    torch.use_deterministic_algorithms(True)
    for index, name in enumerate(names):
        torch.manual_seed(MODEL_SEED + index)
        model = MODELS[name](classes)
        if fill_weights:
            fill(model, WEIGHT_SEED)
        else:
            randomize_norms(model, torch.Generator().manual_seed(MODEL_SEED + 100 + index))
            write_safetensors(f"{folder}/{name}.weights.safetensors", model.state_dict())
        shape = [batch, 3, size, size]
        if fill_weights:  # parity.py's `batch`, which Retort's tests regenerate
            x = torch.from_numpy(2 * splitmix_units(INPUT_SEED, 0, batch * 3 * size * size) - 1).reshape(shape).float()
        else:
            x = torch.randn(*shape, generator=torch.Generator().manual_seed(INPUT_SEED))
        model.eval()
        with torch.no_grad():
            eval_logits = model(x)
        # The last feature map: layer4's output (ResNets), features' output (MobileNetV2).
        maps = []
        last = model.layer4 if hasattr(model, "layer4") else model.features
        hook = last.register_forward_hook(lambda module, inputs, output: maps.append(output))
        model.train()
        with torch.no_grad():
            model(x)
        hook.remove()
        expected = {"eval_logits": eval_logits, "train_pooled": maps[0].mean(dim=(2, 3))}
        if fill_weights:
            expected["input_shape"] = torch.tensor(shape, dtype=torch.int64)
        else:
            expected["input"] = x
        for key, value in model.state_dict().items():
            if key.endswith("running_mean") or key.endswith("running_var"):
                expected["after_train." + key] = value[:16]
        write_safetensors(f"{folder}/{name}.safetensors", expected)
        scale = eval_logits.abs().max().item()
        print(f"{name}: {classes} classes, input {list(x.shape)}, eval logits up to {scale:.3g}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    keys = commands.add_parser("state-dicts")
    keys.add_argument("file")
    check = commands.add_parser("parity")
    check.add_argument("folder")
    check.add_argument("--models", default=",".join(MODELS))
    check.add_argument("--classes", type=int, default=1000)
    check.add_argument("--size", type=int, default=64)
    check.add_argument("--batch", type=int, default=4)
    check.add_argument("--fill", action="store_true")
    arguments = parser.parse_args()
    if arguments.command == "state-dicts":
        state_dicts(arguments.file)
        return
    names = arguments.models.split(",")
    for name in names:
        if name not in MODELS:
            sys.exit(f"unknown model '{name}'; known: {', '.join(MODELS)}")
    parity(arguments.folder, names, arguments.classes, arguments.size, arguments.batch, arguments.fill)


if __name__ == "__main__":
    main()
