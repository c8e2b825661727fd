"""Fixtures for the whole suite: the factories of tests/factories.py bound to the test's app (the
app of its folder's conftest), and one Chromium for every test that drives a browser (Playwright's
sync API allows one running instance per process, so tests/browser and tests/deploy share it)."""

from __future__ import annotations

import functools
import os
from pathlib import Path

import pytest

from tests import factories
from tests.browser.live import CHROMIUM, CHROMIUM_ARGS

# -- the factories, bound to the test's app -------------------------------------------------------


class Make:
    """What a test builds in its collector's database, without naming the app each time."""

    def __init__(self, app, client):
        self.app, self.client = app, client

    def user(self, email: str, role: str, unit: str | None) -> None:
        factories.make_user(self.app, email, role, unit)

    def token(self, email: str) -> str:
        return factories.make_token(self.app, email)

    def integration(self, unit: str = "C01") -> str:
        return factories.integration(self.app, unit)

    def units(self, units=factories.UNITS):
        return factories.add_units(self.app, units)

    def kiosk(self, unit: str = "C01", client=None) -> factories.SimKiosk:
        return factories.register(self.app, client or self.client, unit)


@pytest.fixture
def make(app, client) -> Make:
    """make.user, make.token, make.integration, make.units, make.kiosk on the test's app."""
    return Make(app, client)


@pytest.fixture
def register(app, client):
    """register(unit="C01", client=None): a kiosk registered at `unit`, posting through the test's
    client (or `client`), as a SimKiosk."""

    def registered(unit: str = "C01", client=client) -> factories.SimKiosk:
        return factories.register(app, client, unit)

    return registered


@pytest.fixture
def scalar(app):
    """scalar(statement): the statement's one value in the test's collector database."""
    return functools.partial(factories.scalar, app)


@pytest.fixture
def count(app):
    """count(model, *where): how many rows of `model` match `where` in the test's database."""
    return functools.partial(factories.count, app)


@pytest.fixture
def stored(app):
    """stored(): every response in the test's kiosk database, read fresh."""
    return functools.partial(factories.stored, app)


# -- the browser ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"Chromium is missing at {CHROMIUM}; .ci/run installs Debian's chromium")
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
