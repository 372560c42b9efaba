# The two commands of the quick start: `make run` and `make test`. Everything else is a step they use.
SWIFT ?= swift
BUILD_FLAGS ?= -c release
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

# Tests run optimised: the embedder is 10–100x slower unoptimised. They touch only public API, so the release
# build is shared with `make run`.
test: build
	$(SWIFT) test $(BUILD_FLAGS) --disable-testable-imports

bench: build
	$(SPOTTER) bench embed

clean:
	rm -rf .build
