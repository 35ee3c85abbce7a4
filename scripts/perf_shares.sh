#!/usr/bin/env bash
# Records a distillation workload of qd-bench under perf (one thread, call stacks) and prints where
# its samples go: by phase of the outer iteration and by component (scripts/perf_shares.py).
#   bash scripts/perf_shares.sh [WORKLOAD (D3)] [ITERATIONS (20)] [OUT_DIR (out/perf)]
# Needs perf (Debian's linux-perf) and a release build (make build).
set -euo pipefail
cd "$(dirname "$0")/.."
WORKLOAD=${1:-D3}
ITERATIONS=${2:-20}
OUT=${3:-out/perf}
command -v perf > /dev/null || { echo "perf_shares: perf is not installed (apt-get install linux-perf)" >&2; exit 1; }
test -x .build/release/qd-bench || { echo "perf_shares: no release build; run make build" >&2; exit 1; }
mkdir -p "$OUT"
perf record -q -e cpu-clock -g -o "$OUT/$WORKLOAD.data" .build/release/qd-bench --threads 1 --workloads "$WORKLOAD" \
  --min-reps "$ITERATIONS" --max-reps "$ITERATIONS" > "$OUT/$WORKLOAD.jsonl"
perf script -i "$OUT/$WORKLOAD.data" -F ip,sym 2> /dev/null | swift demangle --simplified > "$OUT/$WORKLOAD.stacks.txt"
python3 scripts/perf_shares.py "$OUT/$WORKLOAD.stacks.txt"
