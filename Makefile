# qd: the two commands are `make run` (the main job) and `make test` (the test suite).
# Both install missing system packages first (scripts/deps.sh).

# Release builds target Haswell-class x86-64 (AVX2 + FMA, every x86-64 CPU since 2013 and AMD Zen 1):
# plain x86-64 turns SIMD FMA into library calls and runs about 20× slower. Other architectures
# build with the compiler's defaults.
ARCH := $(shell uname -m)
ifeq ($(ARCH),x86_64)
CPU_FLAGS := -Xswiftc -target-cpu -Xswiftc haswell
endif
# Cross-module optimisation lets the compiler specialise QDTensor's generic tensor code for the
# callers in QDLearning (Distiller<Model, Float>): D3 ran about 5% faster, with the same results.
RELEASE := -c release $(CPU_FLAGS) -Xswiftc -cross-module-optimization
THREADS ?= 1 2

.PHONY: deps build run test bench anchors compare-dd clean

deps:
	@bash scripts/deps.sh

build: deps
	swift build $(RELEASE)

run: build
	.build/release/qd examples/quickstart.qd

# Tests build in release mode: the training tests run real networks, far too slow unoptimised.
test: deps
	swift test $(RELEASE) --disable-swift-testing

bench: build
	@for t in $(THREADS); do .build/release/qd-bench --threads $$t; done

anchors:
	@test -x /tmp/qd-anchors-venv/bin/python || bash ../shared/anchors/setup.sh
	bash ../shared/anchors/sim/run_all.sh out/anchors.jsonl "$(THREADS)"

# qd-bench against PyTorch (bench_torch_dd.py) on L1, L2, Q1, D1, D2, D3, interleaved, with ratios.
compare-dd: build
	@test -x /tmp/qd-anchors-venv/bin/python || bash ../shared/anchors/setup.sh
	bash scripts/side_by_side_dd.sh out/side_by_side_dd.jsonl "$(THREADS)"

clean:
	rm -rf .build out
