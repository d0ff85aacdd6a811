#!/usr/bin/env bash
# Benchmarks: install what is missing (PyTorch CPU for the reference), build the
# release preset, and run bench_train: our training steps against PyTorch's in
# the same run, same machine, same thread count.
#   packaging/bench.sh [--threads N] [--seconds S] [--json]
# Pin it to quiet cores for stable figures, e.g. taskset -c 0 bash packaging/bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash packaging/setup.sh --bench
bash packaging/build.sh release >/dev/null
exec build/release/bin/bench_train "$@"
