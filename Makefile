# The README's two commands. Each installs what is missing, then builds.
PRESET ?= default
BUILD_DIR := build/$(PRESET)
# CI sets WERROR=1.
WERROR ?= 0
CMAKE_FLAGS := -DFLEETGATE_WERROR=$(if $(filter 1,$(WERROR)),ON,OFF)

# ccache hits across work trees and clean clones.
export CCACHE_BASEDIR := $(CURDIR)

.PHONY: all deps configure build test run test-asan fuzz bench clean format

all: build

deps:
	@scripts/install-deps

configure: deps
	@cmake --preset $(PRESET) $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build --preset $(PRESET)

test: build
	@scripts/test-peers
	@ctest --preset $(PRESET)

test-asan:
	@$(MAKE) --no-print-directory test PRESET=asan

run: build
	@$(BUILD_DIR)/gateway/fleetgate run --demo

fuzz:
	@$(MAKE) --no-print-directory build PRESET=fuzz

bench: build
	@scripts/run-benches $(BUILD_DIR)

format:
	@git ls-files '*.cc' '*.h' | xargs clang-format -i

clean:
	rm -rf build
