#!/usr/bin/env bash
# Quick start: install what is missing, build, and start NN Studio.
# Until the GUI lands, "start" is a CLI demo: it trains the spiral net and
# prints its progress.
set -euo pipefail
cd "$(dirname "$0")/.."
bash packaging/setup.sh
bash packaging/build.sh release
exec build/release/bin/nnstudio-cli train --model assets/models/spiral-mlp.json --data spiral \
  --epochs 300 --batch 10 --optimizer adam --lr 0.03 --seed 1 "$@"
