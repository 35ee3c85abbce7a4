#!/usr/bin/env bash
# Runs qd-bench and the reference anchors back to back at each thread count, into one JSON-lines
# file, then prints the ratio table (scripts/compare.py). Usage, from the repo root:
#   bash scripts/side_by_side.sh [OUT.jsonl] ["1 2"]
# Needs the anchors venv (bash ../shared/anchors/setup.sh) and a release build (make build).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-out/side_by_side.jsonl}
THREADS=${2:-"1 2"}
PY=${PY:-/tmp/qd-anchors-venv/bin/python}
SIM=../shared/anchors/sim
mkdir -p "$(dirname "$OUT")"
: > "$OUT"
for T in $THREADS; do
  export OMP_NUM_THREADS=$T MKL_NUM_THREADS=$T OPENBLAS_NUM_THREADS=$T
  echo "[$(date +%T)] threads=$T qd-bench" >&2
  .build/release/qd-bench --threads "$T" >> "$OUT"
  echo "[$(date +%T)] threads=$T anchors: membw, gate pass, qulacs, lightning, torch, PennyLane W5, torch L1/L2" >&2
  $PY $SIM/bench_membw.py --threads "$T" >> "$OUT"
  for s in lightning qulacs; do $PY $SIM/bench_gate.py --threads "$T" --sims $s --n 20 >> "$OUT"; done
  $PY $SIM/bench_qulacs.py --threads "$T" --workloads W1,W2,W3,W3F,W4 >> "$OUT"
  $PY $SIM/bench_pennylane.py --device lightning.qubit --threads "$T" --workloads W1,W2,W3,W3F,W4 >> "$OUT"
  $PY $SIM/bench_torch.py --threads "$T" --workloads W1,W2,W3,W3F,W4 >> "$OUT"
  $PY scripts/anchor_w5_pennylane.py --threads "$T" >> "$OUT"
  $PY ../shared/anchors/bench_torch_dd.py --threads "$T" --workloads L1,L2 --reps 10 2>/dev/null | grep '"workload": "L' >> "$OUT"
done
python3 scripts/compare.py "$OUT"
