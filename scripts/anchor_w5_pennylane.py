"""W5 anchor: the authors' quantum layer alone, in PennyLane, timed like ../shared/anchors.

qml.qnn.TorchLayer over a default.qubit QNode (interface torch, backprop): AmplitudeEmbedding
(normalize) of a 64-dim input on 6 qubits, 3 StronglyEntanglingLayers, and a trainable 2x2
Hermitian H_i = (A_i + A_i^dagger)/2 measured on each wire. Batch 1024. Timed: forward plus backward
with respect to the angles, the inputs and the Hermitian parameters. One JSON line per dtype.

    /tmp/qd-anchors-venv/bin/python scripts/anchor_w5_pennylane.py --threads 1
"""
import argparse, json, os, statistics, time
import numpy as np
import pennylane as qml
import torch

ap = argparse.ArgumentParser()
ap.add_argument("--threads", type=int, default=1)
ap.add_argument("--reps", type=int, default=10)
ap.add_argument("--dtypes", default="float64,float32")
a = ap.parse_args()
torch.set_num_threads(a.threads)
n, B = 6, 1024
dev = qml.device("default.qubit", wires=n)


def hermitian(p):
    re = p[0::2].reshape(2, 2)
    im = p[1::2].reshape(2, 2)
    m = torch.complex(re, im)
    return (m + m.conj().T) / 2


@qml.qnode(dev, interface="torch", diff_method="backprop")
def circuit(inputs, weights, herm):
    qml.AmplitudeEmbedding(inputs, wires=range(n), normalize=True)
    qml.StronglyEntanglingLayers(weights, wires=range(n))
    return [qml.expval(qml.Hermitian(hermitian(herm[i]), wires=i)) for i in range(n)]


for name in a.dtypes.split(","):
    dtype = getattr(torch, name)
    torch.set_default_dtype(dtype)
    layer = qml.qnn.TorchLayer(circuit, {"weights": (3, n, 3), "herm": (n, 8)})
    x = torch.randn(B, 64, dtype=dtype, requires_grad=True)
    g = torch.randn(B, n, dtype=dtype)

    def step():
        layer.zero_grad()
        x.grad = None
        out = layer(x)
        (out * g).sum().backward()

    for _ in range(2):
        step()
    times = []
    for _ in range(a.reps):
        t0 = time.perf_counter(); step(); times.append(time.perf_counter() - t0)
    print(json.dumps({"sim": "pennylane-default.qubit", "workload": "W5", "n": n, "batch": B, "dtype": name,
                      "threads": a.threads, "reps": len(times), "min_s": min(times),
                      "median_s": statistics.median(times), "max_s": max(times), "loadavg1": os.getloadavg()[0]}), flush=True)
