#!/usr/bin/env python3
"""PyTorch (CPU) run of Retort's Fashion-MNIST training recipe, so that Retort's accuracies can be
read against PyTorch's: a student trained with cross-entropy only (`retort train`), with Hinton KD
or with DKD from a frozen teacher (`retort distill --loss kd|dkd`).

usage: python distill_peer.py --method ce|kd|dkd --student plane2 [--teacher plane6 --teacher-weights T.safetensors]
           [--epochs 3] [--batch-size 128] [--lr 0.05] [--schedule cosine|constant|step|multistep] [--momentum 0.9]
           [--weight-decay 5e-4] [--nesterov] [--seed 1] [--limit N]
           [--kd-temperature 4 --kd-gamma 0.1 --kd-alpha 0.9]
           [--dkd-alpha 1 --dkd-beta 8 --dkd-temperature 4 --dkd-warmup 20 --dkd-ce 1.0]
           [--data-dir /usr/share/datasets/fashion-mnist] [--threads 1] [--json OUT.json]

Prints one line per epoch (test top-1 after each) and finally a JSON object: per-epoch test top-1
(fractions, as Retort's metrics.jsonl), best and last top-1, seconds. What is mirrored from Retort:
- models: TAKD's plain CNNs (10-class book) on 1x28x28 inputs, PyTorch parameter names
  (`layers.<i>.weight`, BN `running_mean`/`running_var`/`num_batches_tracked`), PyTorch default
  init (Retort's `Initialization.pytorchDefault`), BN momentum 0.1, eps 1e-5;
- data: the IDX files, normalization (pixel/255 - 0.2860)/0.3530, random crop with 2 zero pixels of
  padding then horizontal flip p=0.5, no drop-last, and the same shuffle order and the same crops and
  flips as Retort's DataLoader (SplitMix64 streams reproduced below), `--limit` on both splits;
- SGD (torch.optim.SGD = Retort's kernel), weight decay on every parameter, learning rate set once
  per epoch (cosine: lr(e) = lr/2 (1 + cos(pi e / epochs)), no rate-0 epoch);
- KD: gamma CE + alpha T^2 KL_batchmean; DKD: mdistiller's dkd_loss, ramp min((epoch+1)/warmup, 1);
- evaluation: eval mode, batches of 500, top-1 counts a row correct when no logit exceeds the label's.
Not mirrored: the initial weights themselves (PyTorch's RNG, not SplitMix64) and floating-point order.
"""
import argparse
import gzip
import json
import math
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# TAKD's plain CNNs, CIFAR-10 book (Retort's PlainCNN.specification(_, hundred: false)).
PLANE_SPECS = {
    "plane2": ["Conv16", "MP", "Conv16", "MP"],
    "plane4": ["Conv16", "Conv16", "MP", "Conv32", "Conv32", "MP"],
    "plane6": ["Conv16", "Conv16", "MP", "Conv32", "Conv32", "MP", "Conv64", "Conv64", "MP"],
    "plane8": ["Conv16", "Conv16", "MP", "Conv32", "Conv32", "MP", "Conv64", "Conv64", "MP", "Conv128", "Conv128", "MP", "FC64"],
    "plane10": ["Conv32", "Conv32", "MP", "Conv64", "Conv64", "MP", "Conv128", "Conv128", "MP",
                "Conv256", "Conv256", "Conv256", "Conv256", "MP", "FC128"],
}
MEAN, STD = 0.2860, 0.3530        # RetortData Normalization.defaults(for: .fashionMNIST)
CROP_PADDING = 2                  # TrainCommand: 2 on 28x28 images, 4 on 32x32
TEST_BATCH = 500                  # TrainCommand's test loader


class PlainCNN(nn.Module):
    """TAKD's plain CNN from a layer list: Conv<n> = conv3x3 (bias) - BN - ReLU, MP = 2x2 max pool
    (floor), FC<n> = linear + ReLU, then the final linear layer; one `layers` sequence."""

    def __init__(self, spec, classes=10, channels=1, size=28):
        super().__init__()
        layers, features, self.convolutions = [], None, 0
        for item in spec:
            if item == "MP":
                layers.append(nn.MaxPool2d(2, 2))
                size //= 2
                self.convolutions = len(layers)
            elif item.startswith("Conv"):
                width = int(item[4:])
                layers += [nn.Conv2d(channels, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(inplace=True)]
                channels = width
                self.convolutions = len(layers)
            elif item.startswith("FC"):
                features = features or channels * size * size
                layers += [nn.Linear(features, int(item[2:])), nn.ReLU(inplace=True)]
                features = int(item[2:])
            else:
                raise ValueError(f"plain CNN: unknown layer {item!r}")
        layers.append(nn.Linear(features or channels * size * size, classes))
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        for layer in self.layers[: self.convolutions]:
            x = layer(x)
        x = x.flatten(1)
        for layer in self.layers[self.convolutions:]:
            x = layer(x)
        return x


def make_model(name):
    if name not in PLANE_SPECS:
        sys.exit(f"distill_peer: no PyTorch definition for {name!r}; known: {', '.join(PLANE_SPECS)}")
    return PlainCNN(PLANE_SPECS[name])


# ---- safetensors (header JSON + raw little-endian data), no package needed ----

SAFETENSORS_DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2", "I8": "i1",
                      "U8": "u1", "BOOL": "?"}


def read_safetensors(path):
    """The tensors of a safetensors file, by name (BF16 is widened to F32)."""
    with open(path, "rb") as handle:
        data = handle.read()
    (size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + size])
    body = data[8 + size:]
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        raw = body[begin:end]
        if entry["dtype"] == "BF16":
            values = (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        elif entry["dtype"] in SAFETENSORS_DTYPES:
            values = np.frombuffer(raw, dtype=SAFETENSORS_DTYPES[entry["dtype"]])
        else:
            raise ValueError(f"{path}: tensor {name} has unsupported dtype {entry['dtype']}")
        tensors[name] = torch.from_numpy(values.copy()).reshape(entry["shape"])
    return tensors


def load_weights(model, path):
    """Loads a Retort checkpoint strictly (every key must match, as Retort's loader requires)."""
    state = read_safetensors(path)
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    extra = sorted(set(state) - set(expected))
    if missing or extra:
        sys.exit(f"distill_peer: {path} does not match the model: missing {missing}, unexpected {extra}")
    for name, value in state.items():
        if tuple(value.shape) != tuple(expected[name].shape):
            sys.exit(f"distill_peer: {path}: {name} has shape {list(value.shape)}, the model {list(expected[name].shape)}")
    model.load_state_dict({name: value.to(expected[name].dtype) for name, value in state.items()}, strict=True)


# ---- data: IDX files and Retort's DataLoader (SplitMix64 shuffles and augmentation) ----

def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as handle:
        data = handle.read()
    magic, = struct.unpack(">I", data[:4])
    dims = magic & 0xFF
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load_split(directory, split, limit):
    prefix = "train" if split == "train" else "t10k"

    def path(stem):
        gz = os.path.join(directory, stem + ".gz")
        return gz if os.path.exists(gz) else os.path.join(directory, stem)
    images = read_idx(path(f"{prefix}-images-idx3-ubyte"))
    labels = read_idx(path(f"{prefix}-labels-idx1-ubyte")).astype(np.int64)
    if limit:  # Dataset.load(limit:) keeps the first `limit` samples of each split
        images, labels = images[:limit], labels[:limit]
    return np.array(images), labels  # writable copies (frombuffer's arrays are read-only)


MASK = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15


def splitmix_outputs(seeds, draws):
    """The first `draws` outputs of SplitMix64(seed: s) for each seed: uint64 [len(seeds), draws]."""
    seeds = np.asarray(seeds, dtype=np.uint64).reshape(-1, 1)
    with np.errstate(over="ignore"):
        z = seeds + np.arange(1, draws + 1, dtype=np.uint64) * np.uint64(GOLDEN)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def mix(a, b, c):
    """DataLoader.mix: the second output of SplitMix64(a ^ b*0x9E37... ^ c*0xC2B2...); c may be an array."""
    c = np.asarray(c, dtype=np.uint64)
    with np.errstate(over="ignore"):
        seed = np.uint64(a & MASK) ^ (np.uint64(b & MASK) * np.uint64(GOLDEN)) ^ (c * np.uint64(0xC2B2AE3D27D4EB4F))
    return splitmix_outputs(seed.reshape(-1), 2)[:, 1]


def epoch_order(seed, epoch, count):
    """DataLoader.order(epoch:): Fisher-Yates with j = next() % (i + 1), i from count-1 down to 1."""
    indices = list(range(count))
    if count < 2:
        return np.array(indices)
    draws = splitmix_outputs([int(mix(seed, epoch, 0x53485546)[0])], count - 1)[0]
    bounds = np.arange(count, 1, -1, dtype=np.uint64)  # i + 1 for i = count-1 ... 1
    swaps = (draws % bounds).astype(np.int64).tolist()
    for i, j in zip(range(count - 1, 0, -1), swaps):
        indices[i], indices[j] = indices[j], indices[i]
    return np.array(indices)


def augmented_epoch(images, order, seed, epoch):
    """The epoch's training images in batch order, cropped and flipped as Augmentation.apply does with
    the generator SplitMix64(mix(seed, epoch, position)): top, left = next() % 5, flip = next() >> 63."""
    count, height, width = images.shape
    draws = splitmix_outputs(mix(seed, epoch, np.arange(count, dtype=np.uint64)), 3)
    offsets = 2 * CROP_PADDING + 1
    top = (draws[:, 0] % np.uint64(offsets)).astype(np.int64)
    left = (draws[:, 1] % np.uint64(offsets)).astype(np.int64)
    flip = (draws[:, 2] >> np.uint64(63)) == 1
    padded = np.pad(images[order], ((0, 0), (CROP_PADDING, CROP_PADDING), (CROP_PADDING, CROP_PADDING)))
    out = np.empty_like(images)
    for dy in range(offsets):
        for dx in range(offsets):
            rows = np.nonzero((top == dy) & (left == dx))[0]
            out[rows] = padded[rows, dy:dy + height, dx:dx + width]
    out[flip] = out[flip, :, ::-1]
    return out


def normalized(pixels):
    """(pixel / 255 - mean) / std in float32, as Transforms.normalize; [B, H, W] -> [B, 1, H, W]."""
    x = torch.from_numpy(np.ascontiguousarray(pixels)).to(torch.float32)
    return ((x / 255 - MEAN) / STD).unsqueeze(1)


# ---- schedule, losses, evaluation ----

def learning_rate(args, epoch):
    """Retort's per-epoch schedules (LearningRateSchedule.learningRate(epoch:), epoch 0-based)."""
    if args.schedule == "cosine":
        return args.lr * (1 + math.cos(math.pi * epoch / args.epochs)) / 2
    if args.schedule == "step":
        return args.lr * args.gamma ** (epoch // args.step_size)
    if args.schedule == "multistep":
        return args.lr * args.gamma ** sum(1 for m in args.milestones if m <= epoch)
    return args.lr


def kd_term(student, teacher, temperature):
    """T^2 KL_batchmean(softmax(t/T) || softmax(s/T)) (RepDistiller / mdistiller)."""
    return F.kl_div(F.log_softmax(student / temperature, dim=1), F.softmax(teacher / temperature, dim=1),
                    reduction="batchmean") * temperature ** 2


def dkd_loss(logits_student, logits_teacher, target, alpha, beta, temperature):
    """mdistiller distillers/DKD.py dkd_loss, verbatim in substance (torch.log without eps)."""
    gt_mask = torch.zeros_like(logits_student).scatter_(1, target.unsqueeze(1), 1).bool()
    other_mask = ~gt_mask
    pred_student = F.softmax(logits_student / temperature, dim=1)
    pred_teacher = F.softmax(logits_teacher / temperature, dim=1)

    def cat_mask(t):
        return torch.cat([(t * gt_mask).sum(dim=1, keepdim=True), (t * other_mask).sum(1, keepdim=True)], dim=1)
    pred_student, pred_teacher = cat_mask(pred_student), cat_mask(pred_teacher)
    log_pred_student = torch.log(pred_student)
    tckd = F.kl_div(log_pred_student, pred_teacher, reduction="sum") * (temperature ** 2) / target.shape[0]
    pred_teacher_part2 = F.softmax(logits_teacher / temperature - 1000.0 * gt_mask, dim=1)
    log_pred_student_part2 = F.log_softmax(logits_student / temperature - 1000.0 * gt_mask, dim=1)
    nckd = F.kl_div(log_pred_student_part2, pred_teacher_part2, reduction="sum") * (temperature ** 2) / target.shape[0]
    return alpha * tckd + beta * nckd


def objective(args, epoch, logits, teacher_logits, labels):
    ce = F.cross_entropy(logits, labels)
    if args.method == "ce":
        return ce
    if args.method == "kd":
        return args.kd_gamma * ce + args.kd_alpha * kd_term(logits, teacher_logits, args.kd_temperature)
    # mdistiller's epoch/warmup with 1-based epochs; no warm-up at 0 (DecoupledKD.warmupFactor)
    ramp = min((epoch + 1) / args.dkd_warmup, 1.0) if args.dkd_warmup > 0 else 1.0
    return args.dkd_ce * ce + ramp * dkd_loss(logits, teacher_logits, labels, args.dkd_alpha, args.dkd_beta,
                                              args.dkd_temperature)


@torch.no_grad()
def evaluate(model, images, labels):
    """(top-1, mean NLL) in eval mode; a row is correct when no logit is strictly above the label's
    (Trainer.topK with k = 1)."""
    model.eval()
    correct, nll = 0, 0.0
    for start in range(0, len(labels), TEST_BATCH):
        x = normalized(images[start:start + TEST_BATCH])
        y = torch.from_numpy(labels[start:start + TEST_BATCH])
        logits = model(x)
        target = logits.gather(1, y.unsqueeze(1))
        correct += int(((logits > target).sum(1) < 1).sum())
        nll += float(F.cross_entropy(logits, y, reduction="sum"))
    return correct / len(labels), nll / len(labels)


def fit(args, student, teacher, train, test, say):
    """Trains `student` on `train` (images, labels) with `args`' recipe and objective (`args.method`;
    `teacher` gives the distillation targets, None for ce) and evaluates it on `test` after each epoch;
    returns the per-epoch history (lr, train loss and accuracy, test top-1 and loss, seconds)."""
    train_images, train_labels = train
    test_images, test_labels = test
    optimizer = torch.optim.SGD(student.parameters(), lr=args.lr, momentum=args.momentum, weight_decay=args.weight_decay,
                                nesterov=args.nesterov)
    labels_tensor = torch.from_numpy(train_labels)
    history = []
    for epoch in range(args.epochs):
        started = time.perf_counter()
        lr = learning_rate(args, epoch)
        for group in optimizer.param_groups:
            group["lr"] = lr
        order = epoch_order(args.seed, epoch, len(train_labels))
        epoch_images = augmented_epoch(train_images, order, args.seed, epoch)
        epoch_labels = labels_tensor[torch.from_numpy(order)]
        student.train()
        if teacher is not None:
            teacher.eval()
        loss_sum, correct, seen = 0.0, 0, 0
        for start in range(0, len(order), args.batch_size):  # no drop-last
            x = normalized(epoch_images[start:start + args.batch_size])
            y = epoch_labels[start:start + args.batch_size]
            optimizer.zero_grad()
            logits = student(x)
            teacher_logits = None
            if teacher is not None:
                with torch.no_grad():
                    teacher_logits = teacher(x)
            loss = objective(args, epoch, logits, teacher_logits, y)
            loss.backward()
            optimizer.step()
            value = float(loss.detach())
            if not math.isfinite(value):
                sys.exit(f"distill_peer: non-finite loss {value} at epoch {epoch + 1} step {start // args.batch_size + 1}")
            loss_sum += value * len(y)
            seen += len(y)
            correct += int((logits.detach().argmax(1) == y).sum())
        top1, nll = evaluate(student, test_images, test_labels)
        seconds = time.perf_counter() - started
        history.append({"epoch": epoch + 1, "lr": lr, "train_loss": loss_sum / seen, "train_acc": correct / seen,
                        "test_top1": top1, "test_loss": nll, "seconds": seconds})
        say(f"epoch {epoch + 1}/{args.epochs}: lr {lr:.5f} | train loss {loss_sum / seen:.4f} acc {correct / seen * 100:.2f}% | "
            f"test loss {nll:.4f} top-1 {top1 * 100:.2f}% | {seconds:.1f} s, {seen / seconds:.0f} images/s")

    return history


def add_kd_arguments(parser):
    """Hinton KD's options: --kd-temperature, --kd-gamma (weight of CE), --kd-alpha (weight of T^2 KL)."""
    parser.add_argument("--kd-temperature", type=float, default=4.0)
    parser.add_argument("--kd-gamma", type=float, default=0.1, help="KD: weight of CE")
    parser.add_argument("--kd-alpha", type=float, default=0.9, help="KD: weight of T^2 KL")


def add_run_arguments(parser, threads):
    """--data-dir, --threads and --json."""
    parser.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--threads", type=int, default=threads)
    parser.add_argument("--json", help="also write the result object to this file")


def write_result(result, path):
    """Prints the result object as one JSON line and, with a path, writes it there too."""
    text = json.dumps(result)
    print(text)
    if path:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "w") as handle:
            handle.write(text + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--method", choices=["ce", "kd", "dkd"], required=True)
    parser.add_argument("--student", default="plane2")
    parser.add_argument("--teacher", default="plane6")
    parser.add_argument("--teacher-weights", help="the teacher's Retort checkpoint (.safetensors); ignored by --method ce")
    parser.add_argument("--random-teacher", action="store_true", help="debug: a freshly initialised teacher instead of weights")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--schedule", choices=["cosine", "constant", "step", "multistep"], default="cosine")
    parser.add_argument("--gamma", type=float, default=0.1, help="step/multistep decay factor")
    parser.add_argument("--step-size", type=int, default=30)
    parser.add_argument("--milestones", type=lambda s: [int(v) for v in s.split(",") if v], default=[])
    parser.add_argument("--momentum", type=float, default=0.9)
    parser.add_argument("--weight-decay", type=float, default=5e-4)
    parser.add_argument("--nesterov", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=int, help="keep the first N images of each split (as retort --limit)")
    add_kd_arguments(parser)
    parser.add_argument("--dkd-alpha", type=float, default=1.0)
    parser.add_argument("--dkd-beta", type=float, default=8.0)
    parser.add_argument("--dkd-temperature", type=float, default=4.0)
    parser.add_argument("--dkd-warmup", type=int, default=20, help="DKD: warm-up epochs (0: none)")
    parser.add_argument("--dkd-ce", type=float, default=1.0, help="DKD: weight of CE")
    add_run_arguments(parser, threads=1)
    args = parser.parse_args()
    if args.limit is not None and args.limit <= 0:
        parser.error("--limit must be positive")
    if args.schedule == "multistep" and not args.milestones:
        parser.error("--schedule multistep needs --milestones")
    if args.kd_temperature <= 0 or args.dkd_temperature <= 0:
        parser.error("the temperatures must be positive")
    if args.nesterov and args.momentum <= 0:
        parser.error("--nesterov needs a momentum")
    if args.method != "ce" and not (args.teacher_weights or args.random_teacher):
        parser.error(f"--method {args.method} needs --teacher-weights FILE (or --random-teacher to smoke-test)")

    began = time.perf_counter()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    train_images, train_labels = load_split(args.data_dir, "train", args.limit)
    test_images, test_labels = load_split(args.data_dir, "test", args.limit)
    say = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731
    say(f"fashion-mnist: {len(train_labels)} training and {len(test_labels)} test images; torch {torch.__version__}, "
        f"{args.threads} thread(s)")

    student = make_model(args.student)
    teacher, teacher_top1 = None, None
    if args.method != "ce":
        teacher = make_model(args.teacher)
        if args.random_teacher:
            source = "random init (debug)"
        else:
            load_weights(teacher, args.teacher_weights)
            source = args.teacher_weights
        for parameter in teacher.parameters():
            parameter.requires_grad_(False)
        teacher_top1, teacher_nll = evaluate(teacher, test_images, test_labels)
        say(f"teacher {args.teacher} ({source}): test top-1 {teacher_top1 * 100:.2f}%, NLL {teacher_nll:.4f}")
    say(f"student {args.student}: {sum(p.numel() for p in student.parameters()):,} parameters; method {args.method}")

    history = fit(args, student, teacher, (train_images, train_labels), (test_images, test_labels), say)

    top1s = [m["test_top1"] for m in history]
    result = {
        "peer": "pytorch-cpu", "torch": torch.__version__, "threads": args.threads,
        "method": args.method, "student": args.student, "teacher": args.teacher if teacher is not None else None,
        "teacher_weights": None if teacher is None or args.random_teacher else args.teacher_weights,
        "teacher_top1": teacher_top1, "seed": args.seed, "epochs": args.epochs, "batch_size": args.batch_size,
        "lr": args.lr, "schedule": args.schedule, "momentum": args.momentum, "weight_decay": args.weight_decay,
        "nesterov": args.nesterov, "limit": args.limit, "train_images": len(train_labels), "test_images": len(test_labels),
        "options": ({"kd-temperature": args.kd_temperature, "kd-gamma": args.kd_gamma, "kd-alpha": args.kd_alpha}
                    if args.method == "kd" else
                    {"dkd-alpha": args.dkd_alpha, "dkd-beta": args.dkd_beta, "dkd-temperature": args.dkd_temperature,
                     "dkd-warmup": args.dkd_warmup, "dkd-ce": args.dkd_ce} if args.method == "dkd" else {}),
        "test_top1": top1s, "best_top1": max(top1s), "best_epoch": top1s.index(max(top1s)) + 1, "last_top1": top1s[-1],
        "history": history,
        "seconds": sum(m["seconds"] for m in history),  # training + test evaluation, as Retort's per-epoch seconds
        "wall_seconds": time.perf_counter() - began,
    }
    write_result(result, args.json)


if __name__ == "__main__":
    main()
