#!/usr/bin/env bash
# Installs everything ferry needs to build, test and run, from Debian's packages only.
# Safe to run again: apt skips what is already there.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libpoco-dev libssl-dev zlib1g-dev libsqlite3-dev
  libyaml-cpp-dev
  libboost-dev libboost-filesystem-dev
  libspdlog-dev libfmt-dev
  libphonenumber-dev libicu-dev libprotobuf-dev
  libgtest-dev libgmock-dev
  iso-codes
  postgresql postgresql-client
  clang clang-format libclang-rt-14-dev
  curl procps jq
)

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

export DEBIAN_FRONTEND=noninteractive
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# jsforce (the sandbox fidelity test) needs Node.js and npm; machines that ship their own keep it.
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if ((${#missing[@]})); then
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
