# The README's two commands. Each installs what is missing, then builds.
PRESET ?= default
BUILD_DIR := build/$(PRESET)
# CI sets WERROR=1.
WERROR ?= 0
CMAKE_FLAGS := -DFLEETGATE_WERROR=$(if $(filter 1,$(WERROR)),ON,OFF)

# Parallel build jobs; defaults to the number of cores.
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

# ccache hits across work trees and clean clones.
export CCACHE_BASEDIR := $(CURDIR)
# Debug info keeps the first path; hits must not depend on the directory (CI clones elsewhere).
export CCACHE_NOHASHDIR := 1

.PHONY: all deps configure build test run test-asan fuzz bench clean format

all: build

deps:
	@scripts/install-deps

configure: deps
	@cmake --preset $(PRESET) $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build --preset $(PRESET) --parallel $(JOBS)

test: build
	@scripts/test-peers
	@ctest --preset $(PRESET)

test-asan:
	@$(MAKE) --no-print-directory test PRESET=asan

# `make run RUN_ARGS="-c /etc/fleetgate/fleetgate.toml"` runs on a file instead.
RUN_ARGS ?= --demo
run: build
	@$(BUILD_DIR)/gateway/fleetgate run $(RUN_ARGS)

fuzz:
	@$(MAKE) --no-print-directory build PRESET=fuzz

bench: build
	@if [ -x scripts/run-benches ]; then scripts/run-benches $(BUILD_DIR); \
	else for b in $(BUILD_DIR)/bench/*_bench; do [ ! -x "$$b" ] || "$$b" || exit 1; done; fi

format:
	@git ls-files '*.cc' '*.h' | xargs clang-format -i

clean:
	rm -rf build
