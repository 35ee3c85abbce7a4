"""Regenerates pennylane_fixtures.json, the PennyLane reference values for qd's simulator tests.

Run with any Python that has PennyLane (the anchors venv has 0.45.1):
    /tmp/qd-anchors-venv/bin/python Tests/QDSimulatorTests/Fixtures/make_pennylane_fixtures.py
Every value is float64 (default.qubit, backprop).
"""
import json, os
import numpy as np
import pennylane as qml
from pennylane import numpy as pnp

rng = np.random.default_rng(2025)
out = {"pennylane": qml.__version__, "cases": []}


def hermitian_from(p):
    """H = (A + A†)/2 with A[a,b] = p[2(2a+b)] + i·p[2(2a+b)+1], differentiable by autograd."""
    m = qml.math
    re = m.reshape(m.stack([p[0], p[2], p[4], p[6]]), (2, 2))
    im = m.reshape(m.stack([p[1], p[3], p[5], p[7]]), (2, 2))
    a = re + 1j * im
    return (a + m.conj(m.transpose(a))) / 2


# Case family 1: the quantum LeNet layer. AmplitudeEmbedding(normalize) -> SEL -> per-wire trainable Hermitians.
for n, layers, features in [(6, 3, 64), (4, 2, 13)]:
    dev = qml.device("default.qubit", wires=n)
    x = rng.normal(size=(2, features))
    w = rng.uniform(0, 2 * np.pi, size=(layers, n, 3))
    herm = rng.normal(size=(n, 8))

    @qml.qnode(dev, diff_method="backprop")
    def circuit(xi, w, herm):
        qml.AmplitudeEmbedding(xi, wires=range(n), normalize=True, pad_with=0.0 if features < 2 ** n else None)
        qml.StronglyEntanglingLayers(w, wires=range(n))
        return [qml.expval(qml.Hermitian(hermitian_from(herm[i]), wires=i)) for i in range(n)]

    def total(xi, w, herm):
        return pnp.sum(pnp.stack(circuit(xi, w, herm)))

    rows = []
    for b in range(2):
        xi = pnp.array(x[b], requires_grad=True)
        wp = pnp.array(w, requires_grad=True)
        hp = pnp.array(herm, requires_grad=True)
        e = [float(v) for v in circuit(xi, wp, hp)]
        gx, gw, gh = qml.grad(total, argnums=[0, 1, 2])(xi, wp, hp)
        rows.append({"expectations": e, "grad_inputs": np.asarray(gx).tolist(),
                     "grad_weights": np.asarray(gw).reshape(-1).tolist(), "grad_hermitian": np.asarray(gh).reshape(-1).tolist()})
    out["cases"].append({"kind": "amplitude_sel_hermitian", "qubits": n, "layers": layers, "features": features,
                         "inputs": x.tolist(), "weights": w.reshape(-1).tolist(), "hermitian": herm.reshape(-1).tolist(),
                         "items": rows})

# Case family 2: AngleEmbedding + BasicEntanglerLayers + Pauli observables.
for n, rot in [(3, "X"), (4, "Y")]:
    dev = qml.device("default.qubit", wires=n)
    x = rng.normal(size=n)
    w = rng.uniform(-np.pi, np.pi, size=(2, n))

    @qml.qnode(dev)
    def circuit2(x, w):
        qml.AngleEmbedding(x, wires=range(n), rotation=rot)
        qml.BasicEntanglerLayers(w, wires=range(n), rotation={"X": qml.RX, "Y": qml.RY}[rot])
        return [qml.expval(qml.PauliZ(0) @ qml.PauliX(1)), qml.expval(0.5 * qml.PauliY(n - 1) + qml.PauliZ(1))]

    out["cases"].append({"kind": "angle_basic_pauli", "qubits": n, "rotation": rot, "inputs": x.tolist(),
                         "weights": w.reshape(-1).tolist(), "expectations": [float(v) for v in circuit2(x, w)]})

# Case 3: a state touching every named gate.
dev = qml.device("default.qubit", wires=4)
angles = rng.uniform(-np.pi, np.pi, size=16)


@qml.qnode(dev)
def every_gate(a):
    for w in range(4):
        qml.Hadamard(w)
    qml.PauliX(0); qml.PauliY(1); qml.PauliZ(2); qml.S(3); qml.adjoint(qml.S)(0); qml.T(1); qml.adjoint(qml.T)(2); qml.SX(3)
    qml.RX(a[0], 0); qml.RY(a[1], 1); qml.RZ(a[2], 2); qml.PhaseShift(a[3], 3)
    qml.Rot(a[4], a[5], a[6], 0); qml.U3(a[7], a[8], a[9], 1)
    qml.CNOT([0, 1]); qml.CY([1, 2]); qml.CZ([2, 3]); qml.SWAP([3, 0])
    qml.CRX(a[10], [0, 2]); qml.CRY(a[11], [3, 1]); qml.CRZ(a[12], [1, 3]); qml.CRot(a[13], a[14], a[15], [2, 0])
    qml.Toffoli([0, 1, 3])
    return qml.state()


state = every_gate(angles)
out["cases"].append({"kind": "every_gate_state", "qubits": 4, "angles": angles.tolist(),
                     "state_re": state.real.tolist(), "state_im": state.imag.tolist()})

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pennylane_fixtures.json")
with open(path, "w") as f:
    json.dump(out, f, indent=1)
print("wrote", path)
