"""pyproject.toml's floors are past the releases with known advisories (README, "Running it for a
workshop"), and the installed versions meet them."""

import importlib.metadata
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

DEPENDENCIES = {Requirement(line).name: Requirement(line) for line in
                tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())
                ["project"]["dependencies"]}

# package: the first release without the advisory (the ones named next to each floor)
FIXED_IN = {"torch": "2.6", "requests": "2.32.4", "streamlit": "1.37", "scikit-learn": "1.5", "tqdm": "4.66.3",
            "starlette": "0.49.1", "python-multipart": "0.0.18", "protobuf": "6.31.1", "pillow": "11.3",
            "urllib3": "2.5"}


@pytest.mark.parametrize("package", FIXED_IN)
def test_no_allowed_release_predates_the_fix(package):
    floors = [Version(spec.version) for spec in DEPENDENCIES[package].specifier if spec.operator == ">="]
    assert floors and max(floors) >= Version(FIXED_IN[package])


@pytest.mark.parametrize("package", DEPENDENCIES)
def test_the_installed_release_meets_the_floor(package):
    installed = importlib.metadata.version(package)
    assert DEPENDENCIES[package].specifier.contains(installed, prereleases=True), (package, installed)
