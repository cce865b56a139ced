#!/usr/bin/env bash
# Installs what ferry needs, builds it and runs the whole test suite (the README's test command).
#   FERRY_PRESET=asan-ubsan packaging/test.sh   runs the same suite under ASan+UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."

preset=${FERRY_PRESET:-release}
bash packaging/install-deps.sh

# The jsforce fidelity test runs a real npm client against the sandbox; its lock file pins it.
jsforce_dir=sandbox/salesforce/tests/jsforce
if [ -f "$jsforce_dir/package-lock.json" ] && [ ! -d "$jsforce_dir/node_modules" ]; then
  npm ci --prefix "$jsforce_dir" --no-audit --no-fund --loglevel=error
fi

cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" -j "$(nproc)"
ctest --preset "$preset" -j "$(nproc)"
