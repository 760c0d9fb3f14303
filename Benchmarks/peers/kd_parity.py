#!/usr/bin/env python3
"""Retort against PyTorch on the same Fashion-MNIST distillation recipe: a student trained with
cross-entropy only, with Hinton KD and with DKD from the same teacher checkpoint, same schedule and
augmentation, several seeds each. Prints (and optionally writes) the table of mean last-epoch top-1.

usage: python kd_parity.py --teacher plane6 --teacher-weights T.safetensors [--student plane2] [--epochs 3]
           [--seeds 1,2] [--methods ce,kd,dkd] [--side both|retort|pytorch] [--runs runs/parity] [--markdown F]
Run with the peers' Python (`make peers-venv`: .build/peers-venv/bin/python) for the PyTorch side.
"""
import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
# The recipe both sides run (kd-methods §4.1, §4.7): KD 0.1·CE + 0.9·T²·KL at T=4; DKD CE + α·TCKD + β·NCKD.
KD = {"temperature": "4", "gamma": "0.1", "alpha": "0.9"}
DKD = {"alpha": "1", "beta": "1", "temperature": "4", "warmup": "3"}


def retort_run(args, method, seed):
    out = os.path.join(args.runs, f"retort-{method}-seed{seed}")
    metrics = os.path.join(out, "metrics.jsonl")
    common = ["--dataset", "fashion-mnist", "--epochs", str(args.epochs), "--batch-size", str(args.batch_size), "--lr", str(args.lr),
              "--schedule", "cosine", "--momentum", "0.9", "--weight-decay", "5e-4", "--seed", str(seed), "--out", out]
    if method == "ce":
        command = [args.retort, "train", "--model", args.student] + common
    else:
        command = [args.retort, "distill", "--student", args.student, "--teacher", args.teacher, "--teacher-weights", args.teacher_weights,
                   "--loss", method] + common
        if method == "kd":
            command += ["--temperature", KD["temperature"], "--ce-weight", KD["gamma"], "--loss-weight", KD["alpha"]]
        else:
            command += ["--temperature", DKD["temperature"], "--dkd-alpha", DKD["alpha"], "--dkd-beta", DKD["beta"], "--dkd-warmup", DKD["warmup"]]
    if not (os.path.exists(metrics) and len([l for l in open(metrics) if l.strip()]) >= args.epochs):
        print("$ " + " ".join(command), file=sys.stderr, flush=True)
        result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if result.returncode != 0:
            return {"error": (result.stderr or result.stdout).strip().splitlines()[-1]}
    lines = [json.loads(l) for l in open(metrics) if l.strip()]
    return {"top1": [m["test_top1"] * 100 for m in lines], "seconds": sum(m["seconds"] for m in lines)}


def pytorch_run(args, method, seed):
    out = os.path.join(args.runs, f"pytorch-{method}-seed{seed}.json")
    if not os.path.exists(out):
        command = [sys.executable, os.path.join(HERE, "distill_peer.py"), "--method", method, "--student", args.student,
                   "--teacher", args.teacher, "--teacher-weights", args.teacher_weights, "--epochs", str(args.epochs),
                   "--batch-size", str(args.batch_size), "--lr", str(args.lr), "--schedule", "cosine", "--momentum", "0.9",
                   "--weight-decay", "5e-4", "--seed", str(seed), "--json", out,
                   "--kd-temperature", KD["temperature"], "--kd-gamma", KD["gamma"], "--kd-alpha", KD["alpha"],
                   "--dkd-alpha", DKD["alpha"], "--dkd-beta", DKD["beta"], "--dkd-temperature", DKD["temperature"], "--dkd-warmup", DKD["warmup"]]
        print("$ " + " ".join(command), file=sys.stderr, flush=True)
        result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if result.returncode != 0:
            return {"error": (result.stderr or result.stdout).strip().splitlines()[-1]}
    data = json.load(open(out))
    return {"top1": [value * 100 if value <= 1 else value for value in data["test_top1"]], "seconds": data.get("seconds", 0)}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--teacher", default="plane6")
    parser.add_argument("--teacher-weights", required=True)
    parser.add_argument("--student", default="plane2")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--seeds", default="1,2")
    parser.add_argument("--methods", default="ce,kd,dkd")
    parser.add_argument("--side", default="both", choices=["both", "retort", "pytorch"])
    parser.add_argument("--runs", default="runs/parity")
    parser.add_argument("--retort", default=".build/release/retort")
    parser.add_argument("--markdown")
    args = parser.parse_args()
    os.makedirs(args.runs, exist_ok=True)
    seeds = [int(s) for s in args.seeds.split(",")]
    text = "| method | Retort top-1 per seed | Retort mean | PyTorch top-1 per seed | PyTorch mean | Retort − PyTorch |\n|---|---|---|---|---|---|\n"
    for method in args.methods.split(","):
        sides = {}
        for side, runner in (("retort", retort_run), ("pytorch", pytorch_run)):
            if args.side in (side, "both"):
                sides[side] = [runner(args, method, seed) for seed in seeds]
        cells = []
        means = {}
        for side in ("retort", "pytorch"):
            runs = sides.get(side)
            if not runs:
                cells += ["—", "—"]
                continue
            errors = [r["error"] for r in runs if "error" in r]
            if errors:
                cells += [f"failed: {errors[0]}", "—"]
                continue
            finals = [r["top1"][-1] for r in runs]
            means[side] = sum(finals) / len(finals)
            cells += [", ".join(f"{v:.2f}" for v in finals), f"{means[side]:.2f}"]
        gap = f"{means['retort'] - means['pytorch']:+.2f}" if len(means) == 2 else "—"
        text += f"| {method} | " + " | ".join(cells) + f" | {gap} |\n"
    print(text)
    if args.markdown:
        with open(args.markdown, "w") as handle:
            handle.write(text)


if __name__ == "__main__":
    main()
