#!/usr/bin/env bash
# Installs what ferry needs, builds it and runs the main job (the README's first command).
set -euo pipefail
cd "$(dirname "$0")/.."

bash packaging/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)"

bin=build/release/bin
"$bin/ferry" version
"$bin/ferry" plugins
