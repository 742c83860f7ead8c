# The README's two commands are `make demo` and `make test`; both install what is missing first.
JOBS     ?= $(shell nproc)
BUILD    ?= build
CMAKE_GEN = -G Ninja -DCMAKE_BUILD_TYPE=Release
# clang++ for every tree: the Release test targets build in 194 s with it against 361 s with g++ on
# 2 cores without ccache (CI's fresh clone), and the sanitizer and fuzz trees need it anyway. A
# tree configured before keeps the compiler it was configured with.
RELEASE_CMAKE = CXX=clang++ cmake
FUZZ_SECONDS ?= 24
# The sanitizer builds use clang too. Line tables are all a sanitizer report needs.
SAN_CMAKE = CXX=clang++ cmake -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O0 -gline-tables-only" -DROTA_BENCH=OFF

.PHONY: all deps build build-tests demo test unit integration asan tsan fuzz bench clean

all: build

deps:
	@bash scripts/deps

build: deps
	@$(RELEASE_CMAKE) -S . -B $(BUILD) $(CMAKE_GEN) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# What the tests run, and nothing else (the benchmarks are built by `make build` and `make bench`).
build-tests: deps
	@$(RELEASE_CMAKE) -S . -B $(BUILD) $(CMAKE_GEN) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS) --target rota rota_unit_tests rota_integration_tests

demo: build
	@bash scripts/demo $(BUILD)/rota

# Every test: unit and integration (ctest, Release build), all of them once more under
# AddressSanitizer+UBSan (the integration tests then drive sanitized rota processes), and each fuzz
# target for $(FUZZ_SECONDS) seconds. The PostgreSQL tests use a private cluster that
# scripts/with-postgres starts for the run and removes after it.
test: build-tests
	@cd $(BUILD) && ../scripts/with-postgres ctest --output-on-failure -j $$(( $(JOBS) + 1 )) --timeout 300
	@$(MAKE) --no-print-directory asan
	@$(MAKE) --no-print-directory fuzz

asan: deps
	@$(SAN_CMAKE) -S . -B build-asan -DROTA_SANITIZE=address,undefined >/dev/null
	@cmake --build build-asan -j $(JOBS) --target rota_unit_tests rota rota_integration_tests
	@ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=$(CURDIR)/scripts/lsan.supp UBSAN_OPTIONS=print_stacktrace=1 scripts/with-postgres scripts/gtest-shards 2 build-asan/rota_unit_tests --gtest_brief=1
	@# the server, agents and clients as real processes, themselves built with the sanitizers
	@ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=$(CURDIR)/scripts/lsan.supp UBSAN_OPTIONS=print_stacktrace=1 scripts/with-postgres scripts/gtest-shards 2 build-asan/rota_integration_tests --gtest_brief=1

tsan: deps
	@$(SAN_CMAKE) -S . -B build-tsan -DROTA_SANITIZE=thread >/dev/null
	@cmake --build build-tsan -j $(JOBS) --target rota_unit_tests
	@TSAN_OPTIONS=halt_on_error=1 scripts/with-postgres scripts/gtest-shards 2 build-tsan/rota_unit_tests --gtest_brief=1

fuzz: deps
	@CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DROTA_FUZZ=ON -DROTA_SANITIZE=address,undefined -DROTA_BENCH=OFF >/dev/null
	@cmake --build build-fuzz -j $(JOBS) --target fuzz_frame_set fuzz_spec fuzz_api_body fuzz_log fuzz_schedule_expr
	@bash scripts/fuzz build-fuzz $(FUZZ_SECONDS) fuzz_frame_set fuzz_spec fuzz_api_body fuzz_log fuzz_schedule_expr

bench:
	@bash scripts/deps bench
	@cmake -S . -B build-release $(CMAKE_GEN) >/dev/null
	@cmake --build build-release -j $(JOBS)
	@build-release/engine_bench
	@build-release/sched_cycle
	@build-release/cancel_latency build-release/rota
	@bash bench/local_vs_ninja.sh build-release/rota
	@bash bench/server_throughput.sh build-release/rota
	@bash bench/scale_out.sh build-release/rota
	@build-release/schedules --server build-release/rota

clean:
	rm -rf build build-asan build-tsan build-fuzz build-release .rota
