#!/usr/bin/env bash
# Quick start: install what is missing, build, and open NN Studio.
# Without a display (a server, CI) it renders the window under Xvfb to
# nnstudio-screenshot.png instead, after training the spiral net.
set -euo pipefail
cd "$(dirname "$0")/.."
bash packaging/setup.sh
bash packaging/build.sh release
if [[ -n "${DISPLAY:-}" || -n "${WAYLAND_DISPLAY:-}" ]]; then
  exec build/release/bin/nnstudio "$@"
fi
echo "start: no display found; rendering the window to nnstudio-screenshot.png under Xvfb"
exec xvfb-run -a -s "-screen 0 1600x1000x24" build/release/bin/nnstudio \
  --screenshot nnstudio-screenshot.png --model assets/models/spiral-mlp.json --data spiral --train-epochs 200 "$@"
