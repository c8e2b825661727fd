"""Fixtures of the tests on real server processes (tests/integration/processes.py starts them)."""

from __future__ import annotations

import pytest

from tests.integration.processes import ServerProcess


@pytest.fixture
def processes():
    started: list[ServerProcess] = []
    yield started
    for p in started:
        p.kill() if p.proc and p.proc.poll() is None else None
