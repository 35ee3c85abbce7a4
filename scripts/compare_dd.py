"""Prints qd against PyTorch for the learning and distillation workloads of a side-by-side run.

    python3 scripts/compare_dd.py out/side_by_side_dd.jsonl

For each workload and thread count: the best (lowest) median over the rounds of each tool, and
the ratio torch / qd. The anchors' quantum-LeNet rows are per quantum layer ("torchsv", the clean
PyTorch statevector; "pennylane_frozen", the authors' stack with its circuit frozen); D3 compares
with the quantum LeNet, as qd-bench's D3 is.
"""
import json, sys
from collections import defaultdict

best = defaultdict(lambda: float("inf"))
cpus = set()
for line in open(sys.argv[1]):
    if not line.startswith("{"):
        continue
    r = json.loads(line)
    if "cpu" in r:
        cpus.add(r["cpu"])
    if "median_s" not in r:
        continue
    if r.get("sim") == "qd":
        tool = "qd"
    else:
        if r["workload"] in ("D3",) and r.get("model") == "LeNet":
            continue
        tool = "torch" + ("-" + r["qlayer"] if r.get("qlayer") else "")
    key = (r["workload"], r["threads"], tool)
    best[key] = min(best[key], r["median_s"])

tools = sorted({k[2] for k in best if k[2] != "qd"})
print("cpu:", " / ".join(sorted(cpus)) or "not recorded")
print(f"{'workload':8} {'T':>2} {'qd ms':>9} " + " ".join(f"{t + ' ms':>24} {'ratio':>6}" for t in tools))
for (w, t) in sorted({(k[0], k[1]) for k in best if k[2] == "qd"}):
    q = best[(w, t, "qd")]
    cells = []
    for tool in tools:
        a = best.get((w, t, tool))
        cells.append(f"{a * 1e3:24.1f} {a / q:5.2f}x" if a and a != float("inf") else f"{'':24} {'':6}")
    print(f"{w:8} {t:>2} {q * 1e3:9.1f} " + " ".join(cells))
