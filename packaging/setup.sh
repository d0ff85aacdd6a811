#!/usr/bin/env bash
# Installs every Debian package NN Studio needs to build, test and run.
# Idempotent and non-interactive: packages already present are skipped,
# so a second run costs one dpkg query.
#   packaging/setup.sh          build + tests + app
#   packaging/setup.sh --bench  also the PyTorch reference for tests/bench
set -euo pipefail

packages=(
  # toolchain
  g++ cmake ninja-build pkg-config ccache
  # engine
  libeigen3-dev libopenblas-dev libopenblas0-pthread nlohmann-json3-dev zlib1g-dev
  libsqlite3-dev
  # model export: ONNX's protobuf classes and checker
  libonnx-dev libprotobuf-dev
  # the ONNX tests run exported models in onnxruntime-node (npm, below)
  nodejs
  # data: Fashion-MNIST IDX files under /usr/share/datasets/fashion-mnist
  dataset-fashion-mnist
  # Qt 6 (tests use Qt Test; the GUI uses Widgets, OpenGL, Charts, Svg)
  qt6-base-dev libqt6opengl6-dev qt6-charts-dev qt6-svg-dev libgl-dev
  # Dear ImGui (static lib includes the OpenGL3 backend) and its stb dependency
  libimgui-dev
  libgraphviz-dev  # Graphviz's dot (libgvc) lays out the stepper's graph
  # GUI tests and screenshots without a screen
  xvfb xauth
)
if [[ "${1:-}" == "--bench" ]]; then
  packages+=(python3-torch python3-numpy)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: all packages present"
fi

# npm itself: Debian's package, unless the installed nodejs already brings it
# (NodeSource's nodejs bundles npm and conflicts with Debian's npm package).
if ! command -v npm >/dev/null 2>&1; then
  echo "setup: installing npm"
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends npm
fi

# onnxruntime for the ONNX export tests: the npm package onnxruntime-node at the
# version tests/onnx/package-lock.json pins. --ignore-scripts skips its install
# script, which only fetches GPU extras; the CPU library ships in the package.
# Skipped when the pinned version is already there.
onnx_dir="$(cd "$(dirname "$0")/../tests/onnx" && pwd)"
want=$(node -p "require('$onnx_dir/package-lock.json').packages['node_modules/onnxruntime-node'].version")
have=$(node -p "try { require('$onnx_dir/node_modules/onnxruntime-node/package.json').version } catch (e) { '' }")
if [[ "$want" != "$have" ]]; then
  echo "setup: installing onnxruntime-node $want (npm, into tests/onnx/node_modules)"
  (cd "$onnx_dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
else
  echo "setup: onnxruntime-node $have present"
fi
