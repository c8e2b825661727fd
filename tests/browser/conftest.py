"""Real Chromium (Debian's package) driven by Playwright against real servers on loopback: the
browser marker, the screenshots' folder and the seeded collector the accessibility tests share
(what they serve and walk is in tests/browser/live.py)."""

from __future__ import annotations

import pytest

from tests.browser.live import SCREENSHOTS, served_collector


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def screenshot_dir():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture(scope="session")
def seeded(tmp_path_factory):
    """One seeded collector served for the accessibility tests (test_axe, test_access): the
    seeding takes seconds, the pages are read many times. `seen` gathers the endpoints served."""
    with served_collector(tmp_path_factory.mktemp("seeded-collector")) as server:
        yield server
