#!/usr/bin/env bash
# Install what is missing, build with warnings as errors, run every test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash packaging/setup.sh
bash packaging/build.sh ci
ctest --preset ci -j "$(nproc)"
