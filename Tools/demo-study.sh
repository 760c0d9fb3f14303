#!/bin/sh
# The demo's recipe (make demo) in Retort and in PyTorch, seeds 1 and 2: a plane6 teacher trained on
# all 60,000 Fashion-MNIST training labels, a plane2 student trained alone on the first N labels, and
# the same student distilled from the teacher (Hinton KD, by default 0.5·CE + 0.5·T²·KL, T 4: DEMO_KD)
# on the same N images; batch 128, SGD lr 0.05 with a cosine schedule, momentum 0.9, weight decay 5e-4. Prints one
# markdown table: best test top-1 (all 10,000 test images) per run and the gap distilled − alone.
# Usage: Tools/demo-study.sh RETORT OUT PYTHON TEACHER_EPOCHS STUDENT_EPOCHS LABELS [SEEDS]
#   PYTHON: a Python with torch (make peers-venv); SEEDS: default "1 2". Finished runs are reused.
set -eu
if [ $# -lt 6 ]; then
  echo "usage: Tools/demo-study.sh RETORT OUT PYTHON TEACHER_EPOCHS STUDENT_EPOCHS LABELS [SEEDS]" >&2; exit 2
fi
RETORT=$1 OUT=$2 PYTHON=$3 TEACHER_EPOCHS=$4 STUDENT_EPOCHS=$5 LABELS=$6
SEEDS=${7:-1 2}
# The KD weights (the Makefile's DEMO_KD): retort's --ce-weight/--loss-weight, given to PyTorch as
# --kd-gamma/--kd-alpha.
DEMO_KD=${DEMO_KD:---ce-weight 0.5 --loss-weight 0.5}
CE_WEIGHT=$(echo "$DEMO_KD" | sed -n 's/.*--ce-weight \([0-9.]*\).*/\1/p')
KD_WEIGHT=$(echo "$DEMO_KD" | sed -n 's/.*--loss-weight \([0-9.]*\).*/\1/p')
KD=ce${CE_WEIGHT:-0.1}-kd${KD_WEIGHT:-0.9}  # in the distilled runs' names, so another weighting is not reused
if [ "$LABELS" -lt 10000 ]; then
  echo "demo-study: LABELS $LABELS: --limit also limits the test split, so N below 10000 would not test on all 10,000" \
       "test images; give 10000 or more" >&2; exit 2
fi
mkdir -p "$OUT"
run() { name=$1; shift; [ -f "$OUT/$name/summary.md" ] || "$RETORT" "$@" --out "$OUT/$name" --force > "$OUT/$name.log" 2>&1; }
for seed in $SEEDS; do
  RECIPE="--dataset fashion-mnist --batch-size 128 --lr 0.05 --schedule cosine --seed $seed"
  run teacher-seed$seed train --model plane6 $RECIPE --epochs "$TEACHER_EPOCHS"
  run alone-seed$seed train --model plane2 $RECIPE --epochs "$STUDENT_EPOCHS" --limit "$LABELS"
  run distilled-$KD-seed$seed distill --student plane2 $RECIPE --epochs "$STUDENT_EPOCHS" --limit "$LABELS" \
    --teacher plane6 --teacher-weights "$OUT/teacher-seed$seed/best.safetensors" --loss kd $DEMO_KD
  [ -f "$OUT/pytorch-$KD-seed$seed.json" ] || "$PYTHON" "$(dirname "$0")/../Benchmarks/peers/demo_peer.py" --seeds "$seed" \
    --teacher-epochs "$TEACHER_EPOCHS" --student-epochs "$STUDENT_EPOCHS" --labels "$LABELS" \
    --kd-gamma "${CE_WEIGHT:-0.1}" --kd-alpha "${KD_WEIGHT:-0.9}" \
    --json "$OUT/pytorch-$KD-seed$seed.json" > /dev/null 2> "$OUT/pytorch-$KD-seed$seed.log"
done
python3 - "$OUT" "$KD" "$TEACHER_EPOCHS" "$STUDENT_EPOCHS" "$LABELS" $SEEDS <<'PY'
import json, sys
out, kd, teacher_epochs, student_epochs, labels, seeds = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6:]
def retort(run):
    """Best test top-1 (%) and seconds (training and test evaluation) of a Retort run folder."""
    rows = [json.loads(line) for line in open(f"{out}/{run}/metrics.jsonl")]
    return max(r["test_top1"] for r in rows) * 100, sum(r["seconds"] for r in rows)
print(f"plane6 teacher: 60,000 labels, {teacher_epochs} epochs; plane2 student: the first {labels:,} labels, "
      f"{student_epochs} epochs, alone and distilled (KD, {kd}); best test top-1 on all 10,000 test images\n")
print("| engine | seed | teacher | alone | distilled | gap (points) | seconds (teacher + alone + distilled) |")
print("|---|---|---|---|---|---|---|")
gaps = {"Retort": [], "PyTorch": []}
for seed in seeds:
    (t, ts), (a, as_), (d, ds) = (retort(f"{name}-seed{seed}") for name in ("teacher", "alone", f"distilled-{kd}"))
    gaps["Retort"].append(d - a)
    print(f"| Retort | {seed} | {t:.2f} | {a:.2f} | {d:.2f} | {d - a:+.2f} | {ts:.0f} + {as_:.0f} + {ds:.0f} |")
    peer = json.load(open(f"{out}/pytorch-{kd}-seed{seed}.json"))["runs"][0]
    t, a, d = (peer[k]["best_top1"] * 100 for k in ("teacher", "alone", "distilled"))
    gaps["PyTorch"].append(d - a)
    seconds = " + ".join(f"{peer[k]['seconds']:.0f}" for k in ("teacher", "alone", "distilled"))
    print(f"| PyTorch | {seed} | {t:.2f} | {a:.2f} | {d:.2f} | {d - a:+.2f} | {seconds} |")
for engine, values in gaps.items():
    wins = sum(1 for g in values if g > 0)
    print(f"\n{engine}: distilled beats alone on {wins} of {len(values)} seeds, mean gap {sum(values) / len(values):+.2f} points")
PY
