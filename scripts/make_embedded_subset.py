"""Builds the small class-balanced subsets embedded in QDLearning (Sources/QDLearning/Embedded),
from the full datasets in ../shared/data, in their standard formats (gzipped IDX and CIFAR-10
binary) so the same readers load both.

    python3 scripts/make_embedded_subset.py [../shared/data]

MNIST: 100 images per class from train, 50 per class from test (the first ones in file order).
CIFAR-10: 50 per class from train (data_batch_1), 20 per class from test. Deterministic.
"""
import gzip, os, struct, sys

data = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data")
out = os.path.join(os.path.dirname(__file__), "..", "Sources", "QDLearning", "Embedded")


def first_per_class(labels, per_class):
    taken, picked = [0] * 10, []
    for i, y in enumerate(labels):
        if taken[y] < per_class:
            taken[y] += 1
            picked.append(i)
    return picked


def write_gz(path, payload):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        # mtime 0 keeps the files byte-identical between runs
        with gzip.GzipFile(fileobj=f, mode="wb", mtime=0) as g:
            g.write(payload)


for split, prefix, per_class in (("train", "train", 100), ("test", "t10k", 50)):
    images = gzip.open(os.path.join(data, "mnist", f"{prefix}-images-idx3-ubyte.gz")).read()
    labels = gzip.open(os.path.join(data, "mnist", f"{prefix}-labels-idx1-ubyte.gz")).read()
    ys = list(labels[8:])
    picked = first_per_class(ys, per_class)
    pix = b"".join(images[16 + 784 * i: 16 + 784 * (i + 1)] for i in picked)
    write_gz(os.path.join(out, "mnist", f"{prefix}-images-idx3-ubyte.gz"), struct.pack(">IIII", 0x803, len(picked), 28, 28) + pix)
    write_gz(os.path.join(out, "mnist", f"{prefix}-labels-idx1-ubyte.gz"), struct.pack(">II", 0x801, len(picked)) + bytes(ys[i] for i in picked))

record = 3073
for split, source, per_class, names in (("train", "data_batch_1.bin.gz", 50, [f"data_batch_{k}.bin.gz" for k in range(1, 6)]),
                                        ("test", "test_batch.bin.gz", 20, ["test_batch.bin.gz"])):
    raw = gzip.open(os.path.join(data, "cifar-10-batches-bin", source)).read()
    ys = [raw[r * record] for r in range(len(raw) // record)]
    picked = first_per_class(ys, per_class)
    # spread the subset over the standard file names so the reader's layout is exercised
    chunks = [picked[k::len(names)] for k in range(len(names))]
    for name, chunk in zip(names, chunks):
        write_gz(os.path.join(out, "cifar10", name), b"".join(raw[r * record:(r + 1) * record] for r in sorted(chunk)))
print("wrote", os.path.abspath(out))
