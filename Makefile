# Thin wrapper over CMake. `make demo` and `make test` are the two set-up commands (README).
JOBS ?= $(shell nproc)
BUILD ?= build
CMAKE_FLAGS ?=

# Debian packages the build, the tests and the tools need; installed when missing (as root).
DEB_PACKAGES = build-essential cmake pkg-config libssl-dev openssl libssl-doc gnutls-bin curl \
               clang libclang-rt-14-dev valgrind gnuplot-nox python3 socat stunnel4 \
               softhsm2 libengine-pkcs11-openssl opensc nginx-light

.PHONY: all deps build test test-normal test-asan test-tsan demo bench fuzz-smoke fuzz clean compat

all: build

deps:
	@bash tools/deps.sh $(DEB_PACKAGES)

build: deps
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

# The whole suite, twice: a normal build and an ASan+UBSan build; threaded tests again under TSan.
test: deps
	$(MAKE) --no-print-directory test-normal test-asan test-tsan fuzz-smoke

test-normal:
	cmake -S . -B build $(CMAKE_FLAGS) >/dev/null
	cmake --build build -j $(JOBS)
	cd build && ctest --output-on-failure -j $(JOBS)

test-asan:
	cmake -S . -B build-asan -DKEEL_SANITIZE=address,undefined -DCMAKE_BUILD_TYPE=Debug >/dev/null
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --output-on-failure -j $(JOBS)

test-tsan:
	cmake -S . -B build-tsan -DKEEL_SANITIZE=thread -DCMAKE_BUILD_TYPE=Debug >/dev/null
	cmake --build build-tsan -j $(JOBS)
	cd build-tsan && ctest --output-on-failure -j $(JOBS) -L threads

# libFuzzer harnesses (fuzz/README.md), built with clang in build-fuzz/. fuzz-smoke runs each one
# from its seed corpus for FUZZ_SECONDS (default 30) and fails on any crash, leak or sanitizer
# report; fuzz runs long campaigns (FUZZ_SECONDS each, default 3600), growing build-fuzz/corpus/.
fuzz-smoke:
	$(if $(FUZZ_SECONDS),FUZZ_SECONDS=$(FUZZ_SECONDS)) bash fuzz/run.sh smoke

fuzz:
	$(if $(FUZZ_SECONDS),FUZZ_SECONDS=$(FUZZ_SECONDS)) bash fuzz/run.sh long

demo: build
	@bash tools/demo.sh $(BUILD)

# docs/COMPAT.md is generated from facts: the export list, the built library, the tests.
compat: build
	bash tools/compat.sh $(BUILD) docs/COMPAT.md

# keel against the system's OpenSSL libssl, same source, same run: $(BUILD)/bench/report.md and
# report.png. BENCH_SECONDS is per figure per library (bench/README.md).
BENCH_SECONDS ?= 3
bench:
	@bash tools/deps.sh gnuplot-nox
	$(MAKE) --no-print-directory build
	BENCH_SECONDS=$(BENCH_SECONDS) bash bench/run.sh $(BUILD)

clean:
	rm -rf build build-asan build-tsan
