#!/bin/sh
# The data-parallel study: Hinton KD (plane6 → plane2) on Fashion-MNIST with the demo's recipe, in one
# process and as 2 ranks under mpirun with the same global batch, for seeds 1 and 2; prints each run's
# best test top-1 and the 2-rank run's difference. Usage: Tools/ddp-study.sh [RETORT] [OUT]
set -eu
RETORT=${1:-.build/release/retort}
OUT=${2:-runs/ddp-study}
RECIPE="--dataset fashion-mnist --epochs 3 --batch-size 128 --lr 0.05 --schedule cosine"
MPIRUN="mpirun --oversubscribe --bind-to none -np 2"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mkdir -p "$OUT"
[ -f "$OUT/teacher/best.safetensors" ] || "$RETORT" train --model plane6 $RECIPE --seed 1 --out "$OUT/teacher" --force
KD="--student plane2 --teacher plane6 --teacher-weights $OUT/teacher/best.safetensors --loss kd $RECIPE"
for seed in 1 2; do
    "$RETORT" distill $KD --seed $seed --out "$OUT/kd-1process-seed$seed" --force > "$OUT/kd-1process-seed$seed.log"
    $MPIRUN "$RETORT" distill $KD --seed $seed --out "$OUT/kd-2ranks-seed$seed" --force > "$OUT/kd-2ranks-seed$seed.log"
done
python3 - "$OUT" <<'PY'
import json, sys
out = sys.argv[1]
def best(run):
    rows = [json.loads(line) for line in open(f"{out}/{run}/metrics.jsonl")]
    top = max(rows, key=lambda r: r["test_top1"])
    return top["test_top1"] * 100, top.get("agreement", 0) * 100, sum(r["seconds"] for r in rows)
print("| seed | 1 process top-1 | 2 ranks top-1 | difference | agreement 1 / 2 | seconds 1 / 2 |")
print("|---|---|---|---|---|---|")
for seed in (1, 2):
    a, b = best(f"kd-1process-seed{seed}"), best(f"kd-2ranks-seed{seed}")
    print(f"| {seed} | {a[0]:.2f}% | {b[0]:.2f}% | {b[0] - a[0]:+.2f} | {a[1]:.2f}% / {b[1]:.2f}% | {a[2]:.0f} / {b[2]:.0f} |")
PY
