#!/usr/bin/env bash
# Times qd-bench and ../shared/anchors/bench_torch_dd.py on the learning and distillation workloads
# (L1, L2, Q1, D1, D2, D3), back to back and interleaved: for each thread count, ROUNDS rounds of
# qd then PyTorch, so both see the same machine. Prints the table (scripts/compare_dd.py).
#   bash scripts/side_by_side_dd.sh [OUT.jsonl] ["1 2"] [ROUNDS] [WORKLOADS] [QLAYERS]
# Needs the anchors venv (bash ../shared/anchors/setup.sh) and a release build (make build).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-out/side_by_side_dd.jsonl}
THREADS=${2:-"1 2"}
ROUNDS=${3:-3}
WORKLOADS=${4:-L1,L2,Q1,D1,D2,D3}
QLAYERS=${5:-torchsv,pennylane_frozen}
PY=${PY:-/tmp/qd-anchors-venv/bin/python}
mkdir -p "$(dirname "$OUT")"
: > "$OUT"
for T in $THREADS; do
  for r in $(seq "$ROUNDS"); do
    echo "[$(date +%T)] threads=$T round $r: qd-bench" >&2
    .build/release/qd-bench --threads "$T" --workloads "$WORKLOADS" --min-reps 10 --max-reps 20 >> "$OUT"
    echo "[$(date +%T)] threads=$T round $r: bench_torch_dd.py" >&2
    OMP_NUM_THREADS=$T MKL_NUM_THREADS=$T $PY ../shared/anchors/bench_torch_dd.py --threads "$T" --workloads "$WORKLOADS" \
      --qlayer "$QLAYERS" --reps 15 --warmup 2 --max-seconds 40 --min-reps 8 --no-check 2>/dev/null | grep '"workload"' >> "$OUT"
  done
done
python3 scripts/compare_dd.py "$OUT"
