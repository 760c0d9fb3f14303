#!/bin/sh
# The mixed-precision study: plane6 on Fashion-MNIST with the demo's teacher recipe (3 epochs, batch 128,
# lr 0.05 cosine) in fp32, fp16 and bf16, seeds 1 and 2; prints each run's best test top-1, its
# difference from fp32's with the same seed, and the training images/s.
# Usage: Tools/precision-study.sh [RETORT] [OUT]
set -eu
RETORT=${1:-.build/release/retort}
OUT=${2:-runs/precision-study}
RECIPE="--model plane6 --dataset fashion-mnist --epochs 3 --batch-size 128 --lr 0.05 --schedule cosine"
mkdir -p "$OUT"
for seed in 1 2; do
    for precision in fp32 fp16 bf16; do
        run="$OUT/plane6-$precision-seed$seed"
        [ -f "$run/summary.md" ] && grep -q "epochs: 3 of 3" "$run/summary.md" && continue
        "$RETORT" train $RECIPE --seed $seed --precision $precision --out "$run" --force > "$run.log" 2>&1
    done
done
python3 - "$OUT" <<'PY'
import json, sys
out = sys.argv[1]
def run(precision, seed):
    rows = [json.loads(line) for line in open(f"{out}/plane6-{precision}-seed{seed}/metrics.jsonl")]
    best = max(rows, key=lambda r: r["test_top1"])
    rate = sum(r["images_per_s"] for r in rows) / len(rows)
    return best["test_top1"] * 100, rate
print("| seed | fp32 top-1 | fp16 top-1 (Δ) | bf16 top-1 (Δ) | images/s fp32 / fp16 / bf16 |")
print("|---|---|---|---|---|")
for seed in (1, 2):
    (a, ra), (b, rb), (c, rc) = run("fp32", seed), run("fp16", seed), run("bf16", seed)
    print(f"| {seed} | {a:.2f}% | {b:.2f}% ({b - a:+.2f}) | {c:.2f}% ({c - a:+.2f}) | {ra:.0f} / {rb:.0f} / {rc:.0f} |")
PY
