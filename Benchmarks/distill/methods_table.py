#!/usr/bin/env python3
"""Every distillation method of `retort distill` / `retort selfdistill` on one recipe, as a table:
student top-1 (last and best epoch), top-1 agreement and predictive KL with the teacher, ECE (15 bins),
wall time. Each method trains in its own run folder under --runs; a folder that already holds a
finished run is read instead of trained again.

usage: python3 Benchmarks/distill/methods_table.py --teacher plane6 --teacher-weights T.safetensors
           [--student plane2] [--epochs 2] [--limit 10000] [--seed 1] [--runs runs/methods]
           [--methods ce,kd,dkd,...] [--retort .build/release/retort] [--markdown table.md]
"""
import argparse
import json
import os
import subprocess
import sys
import time

# Method → extra flags. Offline methods distil from the teacher; self-distillation methods do not.
OFFLINE = {
    "kd": [],
    "dkd": ["--dkd-beta", "1", "--dkd-warmup", "2"],
    "nkd": [],
    "dist": [],
    "sp": [],
    "crd": ["--crd-negatives", "4096"],
    "camkd": [],
    "mixkd": [],
}
SELF = {"bake": [], "zipf": [], "tfnkd": [], "ls": []}


def run_method(args, method):
    out = os.path.join(args.runs, method)
    metrics_path = os.path.join(out, "metrics.jsonl")
    common = ["--dataset", "fashion-mnist", "--epochs", str(args.epochs), "--batch-size", str(args.batch_size), "--lr", str(args.lr),
              "--schedule", "cosine", "--seed", str(args.seed), "--out", out]
    if args.limit:
        common += ["--limit", str(args.limit)]
    if method == "ce":
        command = [args.retort, "train", "--model", args.student] + common
    elif method in OFFLINE:
        teachers = []
        for name, weights in zip(args.teacher.split(","), args.teacher_weights.split(",")):
            teachers += ["--teacher", name, "--teacher-weights", weights]
        if method != "camkd":
            teachers = teachers[:4]
        command = [args.retort, "distill", "--student", args.student, "--loss", method] + teachers + OFFLINE[method] + common
    else:
        command = [args.retort, "selfdistill", "--model", args.student, "--method", method] + SELF[method] + common
    finished = os.path.exists(metrics_path) and len(open(metrics_path).read().split("\n")) > args.epochs
    wall = None
    if not finished:
        print("$ " + " ".join(command), file=sys.stderr, flush=True)
        started = time.time()
        result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wall = time.time() - started
        if result.returncode != 0:
            return {"method": method, "error": (result.stderr.strip() or result.stdout.strip()).splitlines()[-1]}
    lines = [json.loads(line) for line in open(metrics_path) if line.strip()]
    last, best = lines[-1], max(lines, key=lambda m: m["test_top1"])
    return {"method": method, "top1": last["test_top1"] * 100, "best": best["test_top1"] * 100,
            "agreement": last.get("agreement"), "kl": last.get("predictive_kl"), "ece": last.get("test_ece"),
            "seconds": wall if wall is not None else sum(m["seconds"] for m in lines)}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--teacher", required=True)
    parser.add_argument("--teacher-weights", required=True)
    parser.add_argument("--student", default="plane2")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--limit", type=int, default=10000)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", default="runs/methods")
    parser.add_argument("--methods", default=",".join(["ce"] + list(OFFLINE) + list(SELF)))
    parser.add_argument("--retort", default=".build/release/retort")
    parser.add_argument("--markdown")
    args = parser.parse_args()
    rows = [run_method(args, method) for method in args.methods.split(",")]
    text = "| method | top-1 (last) | top-1 (best) | agreement | predictive KL | ECE | wall s |\n|---|---|---|---|---|---|---|\n"
    for row in rows:
        if "error" in row:
            text += f"| {row['method']} | failed: {row['error']} |||||||\n"
            continue
        agreement = f"{row['agreement'] * 100:.2f}%" if row["agreement"] is not None else "—"
        kl = f"{row['kl']:.4f}" if row["kl"] is not None else "—"
        text += f"| {row['method']} | {row['top1']:.2f}% | {row['best']:.2f}% | {agreement} | {kl} | {row['ece']:.4f} | {row['seconds']:.0f} |\n"
    print(text)
    if args.markdown:
        with open(args.markdown, "w") as handle:
            handle.write(text)


if __name__ == "__main__":
    main()
