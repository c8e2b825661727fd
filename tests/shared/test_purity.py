"""Scoring and questionnaires stay plain Python: no web framework, no database, no pandas."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = ("flask", "sqlalchemy", "pandas")


def test_scoring_and_questionnaires_import_no_framework():
    # A fresh interpreter: the test process itself has long imported Flask and friends.
    code = (
        "import json, sys\n"
        "import shared.scoring, shared.questionnaires\n"
        "shared.questionnaires.registry()\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={"PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0, result.stderr
    modules = json.loads(result.stdout)
    assert "shared.scoring" in modules
    loaded = [m for m in modules if m.split(".")[0] in FORBIDDEN]
    assert loaded == [], f"imported by shared.scoring or shared.questionnaires: {loaded}"
