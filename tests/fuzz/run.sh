#!/usr/bin/env bash
# Builds the flow libFuzzer target with clang and runs it for a bounded time.
#
#   tests/fuzz/run.sh [BUILD_DIR] [SECONDS] [-- extra libFuzzer flags]
#
# BUILD_DIR defaults to build/fuzz (relative paths are taken from the repository root), SECONDS
# to 60. The run is seeded from flows/, flows/connections/ and the broken-flow corpus
# tests/unit/flow/broken/; those stay untouched, new inputs go to BUILD_DIR/fuzz-corpus/flow so a
# CI cache of that folder carries coverage over to the next run. Exits non-zero when the fuzzer
# finds a crash, sanitizer report, leak, timeout or OOM; the reproducer is written to
# BUILD_DIR/fuzz-artifacts/ and can be replayed with `BUILD_DIR/bin/flow_fuzz <file>`.
# JOBS sets the build parallelism (default 2).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build_dir=build/fuzz
seconds=60
if [[ $# -gt 0 && $1 != -- ]]; then build_dir=$1; shift; fi
if [[ $# -gt 0 && $1 != -- ]]; then seconds=$1; shift; fi
if [[ $# -gt 0 && $1 == -- ]]; then shift; fi
[[ $build_dir == /* ]] || build_dir=$root/$build_dir
if ! [[ $seconds =~ ^[1-9][0-9]*$ ]]; then
  echo "run.sh: SECONDS must be a positive whole number, got '$seconds'" >&2
  exit 2
fi

# A build dir configured with another compiler would have its cache wiped by switching to
# clang; refuse instead of destroying someone's build.
cache=$build_dir/CMakeCache.txt
if [[ -f $cache ]] && ! grep -Eq '^CMAKE_CXX_COMPILER:[A-Z]+=.*clang\+\+' "$cache"; then
  echo "run.sh: $build_dir is not a clang build; pass another BUILD_DIR" >&2
  exit 2
fi

# tests/fuzz is only added with the test suite enabled; only flow_fuzz is built.
CC=clang CXX=clang++ cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DFERRY_BUILD_FUZZ=ON -DFERRY_BUILD_TESTS=ON -DFERRY_BUILD_BENCH=OFF >/dev/null
cmake --build "$build_dir" --target flow_fuzz -j"${JOBS:-2}"

corpus=$build_dir/fuzz-corpus/flow
artifacts=$build_dir/fuzz-artifacts
mkdir -p "$corpus" "$artifacts"

# UBSan only reports and carries on by default; a finding must fail the run.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}

status=0
"$build_dir/bin/flow_fuzz" -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix="$artifacts/" "$@" \
  "$corpus" "$root/flows" "$root/flows/connections" "$root/tests/unit/flow/broken" || status=$?

if [[ $status -ne 0 ]]; then
  echo "run.sh: flow_fuzz failed (exit $status); reproducers in $artifacts:" >&2
  ls -1 "$artifacts" >&2 || true
fi
exit "$status"
