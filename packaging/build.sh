#!/usr/bin/env bash
# Configures and builds NN Studio with a CMake preset (default: release).
#   packaging/build.sh [preset]
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-release}"
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" -j "$(nproc)"
