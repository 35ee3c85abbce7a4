"""Where a distillation workload's time goes, as shares of perf samples.

    bash scripts/perf_shares.sh [WORKLOAD] [ITERATIONS]     # records, then runs this
    python3 scripts/perf_shares.py STACKS.txt

STACKS.txt is `perf script -F ip,sym` output, demangled (`swift demangle --simplified`): one
stack per sample, leaf first, stacks separated by blank lines. Each sample is put in a phase of
the outer iteration by its stack (the inner steps: `Distiller.unroll`; the real batch: the
slices' closure in `Distiller.metaGradientAndAccuracy`; the meta-gradient: the rest of
`metaGradientAndAccuracy`; other: Adam, set-up, frames perf could not unwind, such as
OpenBLAS's). Each component counts the samples whose stack contains one of its frames.

Shares, not times: the VM this project is measured on changes speed by up to 50% between runs
minutes apart, so a change is judged by its share of samples in one run against the share
before it.
"""
import re
import sys
from collections import Counter

COMPONENTS = [
    ("quantum layer", r"QuantumLayer|LayerAdjoint|Simulator\.|Pipeline\."),
    ("convolutions", r"Tensor\.conv2d|conv2dInputGrad|conv2dWeightGrad"),
    ("max pooling and its scatter", r"maxPool2d|scatteredToMaxima|gatheredAtMaxima"),
    ("gradient sums (GradientInbox.total)", r"GradientInbox\.total"),
    ("autodiff planning (GraphOrder, BackwardPlan.init)", r"GraphOrder\.init|BackwardPlan\.init"),
    ("allocation (malloc, free)", r"^(malloc|_int_malloc|_int_free|cfree|malloc_consolidate|unlink_chunk)"),
]


def samples(path):
    """The stacks of a demangled `perf script -F ip,sym` file, leaf first."""
    stack = []
    for line in open(path, errors="replace"):
        text = line.strip()
        if not text:
            if stack:
                yield stack
            stack = []
            continue
        parts = text.split(None, 1)
        stack.append(parts[1] if len(parts) > 1 else "?")
    if stack:
        yield stack


def phase(stack):
    """The outer iteration's phase a sample belongs to."""
    joined = " | ".join(stack)
    if "Distiller.unroll" in joined:
        return "inner steps"
    if "closure #2 in Distiller.metaGradientAndAccuracy" in joined:
        return "real batch"
    if "metaGradientAndAccuracy" in joined:
        return "meta-gradient"
    return "other"


def main(path):
    phases, components = Counter(), Counter()
    total = 0
    for stack in samples(path):
        total += 1
        p = phase(stack)
        phases[p] += 1
        for name, pattern in COMPONENTS:
            frames = stack[:1] if pattern.startswith("^") else stack
            if any(re.search(pattern, f) for f in frames):
                components[(name, p)] += 1
                components[(name, "all")] += 1
    print(f"{total} samples")
    print("phase            samples  share")
    for p in ("inner steps", "real batch", "meta-gradient", "other"):
        print(f"{p:16s} {phases[p]:7d}  {100 * phases[p] / max(total, 1):5.1f}%")
    print()
    print(f"{'component':52s} {'all':>6s} {'inner':>6s} {'real':>6s} {'meta':>6s}   (% of all samples)")
    for name, _ in COMPONENTS:
        row = [components[(name, p)] for p in ("all", "inner steps", "real batch", "meta-gradient")]
        print(f"{name:52s} " + " ".join(f"{100 * n / max(total, 1):6.2f}" for n in row))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
