"""Regenerates the tiny data-reader fixtures (valid and deliberately broken files).

    python3 Tests/QDLearningTests/Fixtures/make_data_fixtures.py
"""
import gzip, os, struct

here = os.path.dirname(os.path.abspath(__file__))


def write(folder, name, payload, gz=False):
    os.makedirs(os.path.join(here, folder), exist_ok=True)
    path = os.path.join(here, folder, name)
    if gz:
        with open(path, "wb") as f, gzip.GzipFile(fileobj=f, mode="wb", mtime=0) as g:
            g.write(payload)
    else:
        open(path, "wb").write(payload)


images = struct.pack(">IIII", 0x803, 3, 28, 28) + bytes((i * 7 + j) % 256 for i in range(3) for j in range(784))
labels = struct.pack(">II", 0x801, 3) + bytes([7, 0, 9])
# valid: raw train files, gzipped test files
write("mnist-good", "train-images-idx3-ubyte", images)
write("mnist-good", "train-labels-idx1-ubyte", labels)
write("mnist-good", "t10k-images-idx3-ubyte.gz", images, gz=True)
write("mnist-good", "t10k-labels-idx1-ubyte.gz", labels, gz=True)
# broken variants, one problem each
write("mnist-wrong-magic", "train-images-idx3-ubyte", struct.pack(">I", 0x804) + images[4:])
write("mnist-wrong-magic", "train-labels-idx1-ubyte", labels)
write("mnist-truncated", "train-images-idx3-ubyte", images[:1000])
write("mnist-truncated", "train-labels-idx1-ubyte", labels)
write("mnist-count-mismatch", "train-images-idx3-ubyte", images)
write("mnist-count-mismatch", "train-labels-idx1-ubyte", struct.pack(">II", 0x801, 2) + bytes([1, 2]))
gz = gzip.compress(images, mtime=0)
write("mnist-corrupt-gzip", "train-images-idx3-ubyte.gz", gz[: len(gz) // 2])
write("mnist-corrupt-gzip", "train-labels-idx1-ubyte", labels)
write("mnist-bad-label", "train-images-idx3-ubyte", images)
write("mnist-bad-label", "train-labels-idx1-ubyte", struct.pack(">II", 0x801, 3) + bytes([7, 12, 9]))

record = lambda label, seed: bytes([label]) + bytes((seed * 31 + k) % 256 for k in range(3072))
write("cifar-good", "test_batch.bin.gz", record(3, 1) + record(8, 2), gz=True)
write("cifar-truncated", "test_batch.bin", (record(3, 1) + record(8, 2))[:5000])
write("cifar-bad-label", "test_batch.bin", record(3, 1) + record(11, 2))
print("fixtures written")
