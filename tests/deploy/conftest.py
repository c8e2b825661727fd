"""Helpers for the checks of deploy/: the repository's paths and the tools that check the files."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
VENV_BIN = Path(os.sys.executable).parent


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def need(tool: str) -> str:
    """The path of `tool`; under CI a missing tool fails the test instead of skipping it."""
    found = shutil.which(tool) or (str(VENV_BIN / tool) if (VENV_BIN / tool).exists() else None)
    if found is None:
        if in_ci():
            pytest.fail(f"{tool} is required under CI (see .ci/run)")
        pytest.skip(f"{tool} is not installed")
    return found


def run(*args, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, check=False, **kw)
