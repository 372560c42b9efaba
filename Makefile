# The two commands of the quick start: `make run` and `make test`. Everything else is a step they use.
SWIFT ?= swift
# On x86 CPUs with AVX2 and FMA the embedder's matrix kernels use fused multiply-add (2-3x faster); the binary then
# needs such a CPU. SPOTTER_FMA must never be set without the matching -target-cpu (FMA would become a libm call).
# `make CPU_FLAGS=` builds for any x86-64.
CPU_FLAGS ?= $(shell grep -qw avx2 /proc/cpuinfo 2>/dev/null && grep -qw fma /proc/cpuinfo 2>/dev/null \
	&& echo "-Xswiftc -target-cpu -Xswiftc haswell -Xswiftc -DSPOTTER_FMA")
BUILD_FLAGS ?= -c release $(CPU_FLAGS)
SPOTTER := .build/release/spotter

.PHONY: run test setup build demo serve bench clean

setup:
	@scripts/setup.sh

build: setup
	$(SWIFT) build $(BUILD_FLAGS)

demo: build
	@scripts/load-demo.sh

run: demo
	$(SPOTTER) serve --host $${SPOTTER_HOST:-127.0.0.1} --port $${SPOTTER_PORT:-8080}

# Tests run optimised: the embedder is 10–100x slower unoptimised. They touch only public and package API, so with
# testable imports off the release build of the dependencies is shared with `make run`. `swift test` builds every
# product, the `spotter` binary that the CLI and crash-safety tests run included. Then the HTTP contract:
# schemathesis, every check, against a served demo store (scripts/contract-test.sh, a few minutes).
test: setup
	@scripts/setup-test-tools.sh
	$(SWIFT) test $(BUILD_FLAGS) --disable-testable-imports
	@scripts/contract-test.sh

bench: build
	$(SPOTTER) bench embed

clean:
	rm -rf .build
