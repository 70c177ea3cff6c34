"""scripts/install.sh picks the torch build: CPU-only without an NVIDIA GPU, CUDA with one, and
the README's overrides (TORCH_INDEX_URL, TORCH_SPEC). pip is replaced by a recorder: nothing is
downloaded."""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CPU_INDEX = "https://download.pytorch.org/whl/cpu"

pytestmark = pytest.mark.skipif(platform.system() != "Linux", reason="the CUDA-or-CPU choice is Linux's")


def pip_calls(tmp_path: Path, *, gpu: bool, **env: str) -> list[str]:
    """The pip command lines install_torch runs, in a folder with a recording .venv/bin/python
    and, on PATH, an nvidia-smi that finds a GPU or none."""
    bin_dir, venv_bin = tmp_path / "bin", tmp_path / ".venv" / "bin"
    bin_dir.mkdir(exist_ok=True)
    venv_bin.mkdir(parents=True, exist_ok=True)
    (bin_dir / "nvidia-smi").write_text(f"#!/bin/sh\n{'echo GPU 0: NVIDIA H100' if gpu else 'exit 9'}\n")
    (venv_bin / "python").write_text('#!/bin/sh\necho "$*" >> "$(dirname "$0")/../calls"\n')
    for script in (bin_dir / "nvidia-smi", venv_bin / "python"):
        script.chmod(0o755)
    (tmp_path / ".venv" / "calls").unlink(missing_ok=True)
    clean = {k: v for k, v in os.environ.items() if k not in ("TORCH_SPEC", "TORCH_INDEX_URL")}
    subprocess.run(["bash", "-c", f"source {ROOT / 'scripts' / 'install.sh'} && install_torch"], cwd=tmp_path,
                   env={**clean, "PATH": f"{bin_dir}:{clean['PATH']}", **env}, check=True, capture_output=True)
    calls = tmp_path / ".venv" / "calls"
    return calls.read_text().splitlines() if calls.exists() else []


def test_without_an_nvidia_gpu_torch_comes_from_the_cpu_index(tmp_path):
    assert pip_calls(tmp_path, gpu=False) == [f"-m pip install --quiet torch --index-url {CPU_INDEX}"]


def test_with_an_nvidia_gpu_the_projects_requirement_pulls_pypis_cuda_build(tmp_path):
    assert pip_calls(tmp_path, gpu=True) == []


def test_torch_spec_alone_installs_that_pin_from_pypi_as_ci_does(tmp_path):
    assert pip_calls(tmp_path, gpu=False, TORCH_SPEC="torch==2.13.0") == ["-m pip install --quiet torch==2.13.0"]


def test_torch_index_url_overrides_the_choice(tmp_path):
    assert pip_calls(tmp_path, gpu=False, TORCH_INDEX_URL="pypi") == []
    assert pip_calls(tmp_path, gpu=True, TORCH_INDEX_URL="https://download.pytorch.org/whl/cu126",
                     TORCH_SPEC="torch>=2.6") == [
        "-m pip install --quiet torch>=2.6 --index-url https://download.pytorch.org/whl/cu126"]
