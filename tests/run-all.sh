#!/usr/bin/env bash
# run-all.sh - the README's test command, and what .ci/run calls: install the
# dependencies, build three times (Release, -O3 -DNDEBUG, so that GCC's
# optimiser-only warnings stay errors; AddressSanitizer +
# UndefinedBehaviorSanitizer; clang with libFuzzer) and run every test of each.
# It passes from any checkout location, /root/... (mode 0700) included.
set -euo pipefail
cd "$(dirname "$0")/.."

tools/setup/install-deps.sh

jobs=$(nproc)
run_suite() { # run_suite BUILD_DIR CMAKE_ARGS...
	local dir=$1; shift
	echo "=== build $dir ($*)"
	# SOV_TESTS=ON: a build/ configured by run-sim.sh (programs only) gets
	# its tests back.
	cmake -S . -B "$dir" -DSOV_TESTS=ON "$@"
	cmake --build "$dir" -j"$jobs"
	echo "=== test $dir"
	# Two at a time; the tests that measure timing or need both cores
	# (stress, the benchmarks' smoke runs, the stall injector, floods) are
	# RUN_SERIAL in their CMakeLists.txt and run alone.
	ctest --test-dir "$dir" --output-on-failure --timeout 900 -j2
}

run_suite build -DCMAKE_BUILD_TYPE=Release
# abort_on_error: a sanitizer report fails the test instead of only printing.
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
run_suite build-asan -DCMAKE_BUILD_TYPE=Debug -DSOV_SANITIZE=ON
# libFuzzer (clang): every parser of outside input (tests/fuzz), 20 s each.
CC=clang run_suite build-fuzz -DCMAKE_BUILD_TYPE=Debug -DSOV_FUZZ=ON -DSOV_FUZZ_SECONDS=20
echo "=== all tests passed (Release, ASan+UBSan, fuzzers)"
