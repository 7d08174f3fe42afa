# riposte — the two commands are `make demo` and `make test`.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps build test test-asan demo bench fuzz format clean install image

all: build

deps:
	@scripts/deps.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

test: build
	scripts/test.sh $(BUILD)

test-asan: deps
	cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DRIPOSTE_SANITIZE=ON -DRIPOSTE_BENCH=OFF
	cmake --build build-asan -j $(JOBS)
	RIPOSTE_SANITIZED=1 scripts/test.sh build-asan

demo: build
	scripts/demo.sh $(BUILD)/bin/riposte

bench: build
	scripts/bench.sh $(BUILD)

fuzz: deps
	CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRIPOSTE_FUZZ=ON -DRIPOSTE_BENCH=OFF -DRIPOSTE_TESTS=OFF
	cmake --build build-fuzz -j $(JOBS)
	FUZZ_SECONDS=$${FUZZ_SECONDS:-300} scripts/fuzz.sh build-fuzz

# The binary, /etc/riposte (kept when it exists), the systemd unit, its user and state directory.
# PREFIX=/usr/local by default; DESTDIR=… stages the files without touching the system.
PREFIX ?= /usr/local
install: build
	scripts/install.sh $(BUILD) $(PREFIX)

# The container image (Dockerfile): with a container engine, docker build; without one, the
# image's build steps run into a staging root and are checked (scripts/image.sh).
image:
	scripts/image.sh

format:
	find src tests bench fuzz -name '*.cpp' -o -name '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD) build-asan build-fuzz
