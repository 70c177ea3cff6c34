# Shared by scripts/run and scripts/test: create .venv and install the project when needed.
# TORCH_SPEC pins torch where a plain "torch" would pull a different wheel (CI pins the CPU one).
install_project() {
  local extras="$1"
  if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
  fi
  local stamp=".venv/.installed${extras}"
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    .venv/bin/python -m pip install --quiet --upgrade pip
    if [ -n "${TORCH_SPEC:-}" ]; then
      .venv/bin/python -m pip install --quiet "$TORCH_SPEC"
    fi
    .venv/bin/python -m pip install --quiet -e ".${extras}"
    touch "$stamp"
  fi
}
