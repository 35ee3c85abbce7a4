"""Prints qd against the fastest anchor for every workload in a side-by-side JSON-lines file.

    python3 scripts/compare.py out/side_by_side.jsonl

speed-up = fastest anchor median / qd median, at the same thread count, measured in one run.
"""
import json, sys
from collections import defaultdict

rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
for r in rows:
    if "anchor" in r and "sim" not in r:  # bench_torch_dd.py names its tool "anchor"
        r["sim"] = r["anchor"]
qd, anchors = {}, defaultdict(dict)
for r in rows:
    if "median_s" not in r:
        continue
    t = r.get("threads")
    if r.get("sim") == "qd":
        if r["workload"] == "membw":
            continue
        key = (r["workload"], r.get("n"), r.get("gate"), t)
        qd[key] = r["median_s"]
    elif r.get("sim", "").startswith("gate-"):
        gate = r["gate"].split("(")[0]
        anchors[("gate", r["n"], gate, t)][r["sim"]] = r["median_s"]
    elif r.get("sim") == "membw":
        if r.get("test") == "torch-cscale-inplace" and r.get("n"):
            # the bandwidth bound of one one-qubit gate pass: read + write the whole state
            anchors[("gate-bound", r["n"], None, t)]["membw"] = 2 * 16 * 2 ** r["n"] / (r["GBps_best"] * 1e9)
    elif "cppbp0" in r.get("sim", ""):
        continue  # qulacs' proxy row runs from |0⟩ without the embedding: not the same workload
    elif "workload" in r and "error" not in r and "unsupported" not in r:
        anchors[(r["workload"], r.get("n"), None, t)][r["sim"] + ("-" + r["dtype"] if "dtype" in r else "")] = r["median_s"]

print(f"{'workload':8} {'n':>3} {'gate':5} {'T':>2} {'qd ms':>10} {'fastest anchor':>28} {'anchor ms':>10} {'speed-up':>9}")
for key in sorted(qd, key=lambda k: (k[0], k[1] or 0, k[2] or "", k[3])):
    w, n, g, t = key
    cands = anchors.get(key) or anchors.get((w, n, None, t), {})
    line = f"{w:8} {n if n is not None else '':>3} {g or '':5} {t:>2} {qd[key] * 1e3:10.3f}"
    if cands:
        best = min(cands, key=cands.get)
        line += f" {best:>28} {cands[best] * 1e3:10.3f} {cands[best] / qd[key]:8.2f}x"
    if w == "gate" and ("gate-bound", n, None, t) in anchors:
        bound = anchors[("gate-bound", n, None, t)]["membw"]
        line += f"   bandwidth bound {bound * 1e3:.3f} ms, qd/bound {qd[key] / bound:.2f}"
    print(line)
