# Shared by scripts/run and scripts/test: create .venv and install the project when needed.
#
# torch: on Linux, PyPI's plain "torch" is the CUDA build (about 6 GB of wheels with its NVIDIA
# libraries). Without an NVIDIA GPU (no working `nvidia-smi`) we install the CPU-only build from
# PyTorch's CPU index instead; with one, PyPI's CUDA build. Overrides (see README, "Set up"):
#   TORCH_INDEX_URL  where torch comes from: a URL, or "pypi" for PyPI's default build
#   TORCH_SPEC       which torch, e.g. "torch==2.13.0" (taken from PyPI unless TORCH_INDEX_URL
#                    is set too; CI pins the CPU wheel this way)
CPU_TORCH_INDEX="https://download.pytorch.org/whl/cpu"

torch_index() {
  if [ -n "${TORCH_INDEX_URL:-}" ]; then
    [ "$TORCH_INDEX_URL" = "pypi" ] || echo "$TORCH_INDEX_URL"
  elif [ -z "${TORCH_SPEC:-}" ] && [ "$(uname -s)" = "Linux" ] && ! nvidia-smi -L >/dev/null 2>&1; then
    echo "$CPU_TORCH_INDEX"
  fi  # elsewhere PyPI's default: CUDA with an NVIDIA GPU, CPU-only on macOS and Windows
}

install_torch() {
  local index
  index="$(torch_index)"
  if [ -n "$index" ]; then
    echo "Installing torch from $index (set TORCH_INDEX_URL=pypi for PyPI's default build)" >&2
    .venv/bin/python -m pip install --quiet "${TORCH_SPEC:-torch}" --index-url "$index"
  elif [ -n "${TORCH_SPEC:-}" ]; then
    .venv/bin/python -m pip install --quiet "$TORCH_SPEC"
  fi  # else: the project's own requirement pulls PyPI's default build
}

install_project() {
  local extras="$1"
  if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
  fi
  local stamp=".venv/.installed${extras}"
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    .venv/bin/python -m pip install --quiet --upgrade pip
    install_torch
    .venv/bin/python -m pip install --quiet -e ".${extras}"
    touch "$stamp"
  fi
}
