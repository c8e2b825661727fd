"""Real Chromium (Debian's package) driven by Playwright against real servers on loopback."""

from __future__ import annotations

import os
import shutil
import socket
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("SIPAS_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(os.environ.get("SIPAS_SCREENSHOTS", "screenshots"))
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def screenshot_dir():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


class LiveServer:
    """A WSGI app served on a free loopback port in a thread, for the browser to reach."""

    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.thread.join(timeout=5)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


__all__ = ["LiveServer", "free_port", "shutil"]


def collector_app(folder: Path):
    """A collector on a migrated SQLite file in `folder`, as the browser tests serve it."""
    from collector import create_app
    from collector.migrate import upgrade

    url = f"sqlite:///{folder / 'collector.sqlite'}"
    upgrade(url)
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "browser",
            "DATABASE_URL": url,
            "INSTANCE_PATH": str(folder),
        }
    )


def kiosk_app(folder: Path, **settings):
    """A kiosk on a migrated SQLite file in `folder`, with test settings and `settings`."""
    from kiosk import create_app
    from shared.migrate import upgrade

    url = f"sqlite:///{folder / 'kiosk.sqlite3'}"
    upgrade("kiosk", url)
    config = {
        "TESTING": True,
        "SECRET_KEY": "browser-test",
        "DATABASE_URL": url,
        "GUARD_SECONDS": 0,
        "COUNTERS": [{"code": "1", "unit": "H40.22.01", "kinds": ["admin"]}],
    }
    return create_app({**config, **settings}, instance_path=str(folder))
