#!/bin/sh
# The method study of the seed methods completed last: on Fashion-MNIST (10,000 training and 10,000
# test images, 3 epochs, batch 128, SGD lr 0.05 with a cosine schedule), seeds 1 and 2:
#   zipf       Zipf label smoothing on resnet8: dense votes (the default) vs logit ranks vs plain CE
#   camkd      CA-MKD plane6 ×3 (seeds 1–3) → plane2 with L_inter (b = 50) and without (b = 0)
#   online     DML, SwitOKD 1T2S and 2T1S on the same three networks plane6, plane4, plane2 (lr 0.01: at
#              0.05 a plane2 with two peers can collapse to one class)
#   sweetspot  the teacher sweet-spot grid: plane6 teachers at batch sizes 32, 128, 512, each epoch
#              distilled (KD) into a fresh plane2
# Prints one markdown table per part (best test top-1 per run, mean over seeds).
# Usage: Tools/methods-study.sh [RETORT] [OUT] [PART…]   (all parts by default)
set -eu
RETORT=${1:-.build/release/retort}
OUT=${2:-runs/methods-study}
shift 2 2>/dev/null || shift $#
PARTS=${*:-zipf camkd online sweetspot}
DATA="--dataset fashion-mnist --limit 10000 --epochs 3 --batch-size 128 --schedule cosine"
RECIPE="$DATA --lr 0.05"
mkdir -p "$OUT"
run() { name=$1; shift; [ -f "$OUT/$name/summary.md" ] || "$RETORT" "$@" --out "$OUT/$name" --force > "$OUT/$name.log" 2>&1; }

for part in $PARTS; do
  case $part in
  zipf)
    for seed in 1 2; do
      run zipf-ce-seed$seed train --model resnet8 $RECIPE --seed $seed
      run zipf-dense-seed$seed selfdistill --model resnet8 --method zipf $RECIPE --seed $seed
      run zipf-logits-seed$seed selfdistill --model resnet8 --method zipf --zipf-dense false $RECIPE --seed $seed
    done ;;
  camkd)
    for t in 1 2 3; do run camkd-teacher$t train --model plane6 $RECIPE --seed $t; done
    TEACHERS=""
    for t in 1 2 3; do TEACHERS="$TEACHERS --teacher plane6 --teacher-weights $OUT/camkd-teacher$t/best.safetensors"; done
    for seed in 1 2; do
      run camkd-inter-seed$seed distill --student plane2 $TEACHERS --loss camkd $RECIPE --seed $seed
      run camkd-div-seed$seed distill --student plane2 $TEACHERS --loss camkd --camkd-inter-weight 0 $RECIPE --seed $seed
    done ;;
  online)
    for seed in 1 2; do
      run online-dml-seed$seed online --models plane6,plane4,plane2 --method dml $DATA --lr 0.01 --seed $seed
      run online-1t2s-seed$seed online --models plane6,plane4,plane2 --method switokd --topology 1t2s $DATA --lr 0.01 --seed $seed
      run online-2t1s-seed$seed online --models plane6,plane4,plane2 --method switokd --topology 2t1s $DATA --lr 0.01 --seed $seed
    done ;;
  sweetspot)
    [ -f "$OUT/sweetspot/sweep.json" ] || "$RETORT" sweep-teachers --teacher plane6 --batch-sizes 32,128,512 --save-every 1 \
      --student plane2 --loss kd $RECIPE --seed 1 --out "$OUT/sweetspot" --force > "$OUT/sweetspot.log" 2>&1 ;;
  *) echo "unknown part: $part (zipf, camkd, online, sweetspot)" >&2; exit 2 ;;
  esac
done
python3 - "$OUT" $PARTS <<'PY'
import json, os, sys, statistics
out, parts = sys.argv[1], sys.argv[2:]
def best(run):
    """Best test top-1 (%) of a single-network run, or of each network of an online run."""
    path = f"{out}/{run}/metrics.jsonl"
    rows = [json.loads(line) for line in open(path)]
    if "networks" in rows[0]:
        names = rows[0]["networks"].keys()
        return {n: max(r["networks"][n]["test_top1"] for r in rows) * 100 for n in names}
    return max(r["test_top1"] for r in rows) * 100
def table(title, variants):
    print(f"\n### {title}\n\n| variant | seed 1 | seed 2 | mean |\n|---|---|---|---|")
    for label, stem in variants:
        values = [best(f"{stem}-seed{s}") for s in (1, 2)]
        if isinstance(values[0], dict):
            for n in values[0]:
                v = [x[n] for x in values]
                print(f"| {label}: {n} | {v[0]:.2f} | {v[1]:.2f} | {statistics.mean(v):.2f} |")
        else:
            print(f"| {label} | {values[0]:.2f} | {values[1]:.2f} | {statistics.mean(values):.2f} |")
if "zipf" in parts:
    table("Zipf label smoothing, resnet8", [("CE only", "zipf-ce"), ("zipf, dense votes", "zipf-dense"), ("zipf, logit ranks", "zipf-logits")])
if "camkd" in parts:
    print("\nteachers (plane6, seeds 1–3): " + ", ".join(f"{best(f'camkd-teacher{t}'):.2f}" for t in (1, 2, 3)))
    table("CA-MKD, 3 × plane6 → plane2", [("L_div + 50·L_inter", "camkd-inter"), ("L_div only", "camkd-div")])
if "online" in parts:
    table("Online, plane6 + plane4 + plane2", [("DML", "online-dml"), ("SwitOKD 1T2S", "online-1t2s"), ("SwitOKD 2T1S", "online-2t1s")])
if "sweetspot" in parts and os.path.exists(f"{out}/sweetspot/sweep.md"):
    print("\n### Teacher sweet spot, plane6 → plane2\n")
    print(open(f"{out}/sweetspot/sweep.md").read())
PY
