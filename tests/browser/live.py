"""What the browser tests serve and how they drive it: Debian's Chromium and its flags, the two
screen sizes, live servers on loopback (a WSGI app in a thread), collectors and kiosks made for the
browser (a demo-seeded collector, a kiosk of two counters), and the walks the guard and the
accessibility audit share (the administration after actions, a kiosk survey, a login).
tests/browser/conftest.py holds their fixtures."""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path

from werkzeug.serving import make_server

CHROMIUM = os.environ.get("SIPAS_CHROMIUM", "/usr/bin/chromium")
#: The two screens the pages are looked at on.
LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
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


def record_pages(app, seen: set[str]) -> None:
    """Add to `seen` the endpoint of every HTML page `app` serves from now on."""
    from flask import request

    @app.after_request
    def _seen(response):
        if response.mimetype == "text/html":
            seen.add(request.endpoint or "")
        return response


def html_endpoints(app, leave_out: set[str]) -> set[str]:
    """The endpoints that answer GET (pages), but those that serve files, JSON, images or the
    voice packs' sound clips."""
    return {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods
        and not rule.rule.startswith(("/api/", "/static/", "/voices/"))
        and rule.endpoint not in leave_out
    }


def seeded_collector(folder: Path, viewer: str, seen: set[str]):
    """A collector with the demo's units, people, three weeks of ratings and receipts (some
    answered on the phone), a viewer `viewer` and a kiosk that never called; `seen` gathers the
    endpoints of the pages it serves after the seeding (record_pages). Returns the app and the
    link of one receipt left unanswered."""
    from collector.accounts.service import add_user
    from collector.db import get_session
    from collector.demo import DEMO_PASSWORD, seed_demo, seed_receipts
    from collector.fleet.kiosks import register_kiosk
    from collector.limits import limiter
    from collector.tasks import run_refresh_counts

    app = collector_app(folder)
    app.config["QUEUE_URL"] = f"{folder}/queue.sqlite3"  # exports wait: no worker here
    record_pages(app, seen)  # before the first request, as Flask wants
    with app.app_context():
        session = get_session()
        seed_demo(session, weeks=3, seed=5)
        add_user(session, viewer, DEMO_PASSWORD, "viewer", "00001")
        register_kiosk(session, "00010.MC", label="Quầy chưa dùng")  # never contacted
        session.commit()
    spare = seed_receipts(app, seed=2)
    # No worker runs here: the refresh the seeding asked for is made by the explicit call.
    run_refresh_counts(app)
    seen.clear()  # the phone pages the seeding went through are for the tests to open
    limiter.reset()  # seeding answered many surveys from this address
    return app, spare


#: The viewer seeded_collector adds (the demo has an administrator, a manager, a counter officer).
VIEWER = "viewer@demo.local"


@contextlib.contextmanager
def served_collector(folder: Path):
    """A live demo-seeded collector (`seeded_collector`, with a viewer), its public address its
    own, the endpoints it serves gathered in `server.seen` and a spare receipt's token in
    `server.spare`."""
    from collector.db import get_db

    seen: set[str] = set()
    app, spare = seeded_collector(folder, VIEWER, seen)
    with LiveServer(app) as server:
        app.config["PUBLIC_URL"] = server.url
        server.app, server.seen, server.spare = app, seen, spare.rsplit("/", 1)[1]
        yield server
    get_db(app).dispose()


def submit(page, form: str) -> None:
    """Send the form matched by `form` with its submit button, and wait for the next page."""
    with page.expect_navigation():
        page.locator(f"{form} [type=submit]").first.click()


def administration_after_actions(page, base: str, check) -> str:
    """The administration's pages that only show after an action, as an administrator: a unit
    import's preview (with a bad row), a new kiosk's token, a new integration token, a new
    person's temporary password, that person's page and the audit log holding every kind of
    entry made here. Each is handed to `check(page, name)` once loaded (the guard and the
    accessibility audit walk the same pages). Returns the new manager's temporary password."""
    page.goto(base + "/admin/unit-import")
    csv = "code,name,parent,kind\nC99,Xã Mới,01,xã\nC98,Xã Khác,01,commune\n"
    page.set_input_files(
        "input[name=file]",
        files=[{"name": "don-vi.csv", "mimeType": "text/csv", "buffer": csv.encode()}],
    )
    submit(page, "form:has(input[name=file])")
    check(page, "admin-unit-import-preview")  # with a bad row: its error in words

    page.goto(base + "/admin/kiosks")
    page.fill("#register input[name=label]", "Quầy 3")
    submit(page, "#register form")
    check(page, "admin-kiosk-token")

    page.goto(base + "/admin/integrations")
    submit(page, "form[action$='/admin/integrations']")
    check(page, "admin-integration-token")

    page.goto(base + "/admin/people")
    page.fill("input[name=email]", "chu.tich@demo.local")
    page.select_option("select[name=role]", "manager")
    page.select_option("select[name=unit]", "00010")
    submit(page, "form[action$='/admin/people']")
    check(page, "admin-temporary-password")
    temporary = page.locator("code.secret").first.inner_text().strip()
    page.goto(base + "/admin/people")
    with page.expect_navigation():
        page.locator("a", has_text="chu.tich@demo.local").first.click()
    check(page, "admin-person")
    page.goto(base + "/admin/audit")  # now with every kind of entry made above
    check(page, "admin-audit-after")
    return temporary


def receipt_survey_path(server, dossier: str, unit: str = "00001.MC") -> str:
    """The path of a new receipt's phone survey on `server` (a live collector), issued the way
    the API and the counter page issue it."""
    from collector.db import get_session
    from collector.receipts.service import ReceiptRequest, issue_receipt
    from collector.receipts.settings import app_key, public_url

    with server.app.app_context():
        session = get_session()
        issued = issue_receipt(
            session,
            ReceiptRequest(dossier=dossier, unit=unit),
            key=app_key(server.app),
            public_url=public_url(server.app),
            ttl_days=30,
        )
        session.commit()
    return "/r/" + issued.url.rsplit("/", 1)[1]


def walk_kiosk_survey(page, base: str, check, variant: str) -> None:
    """Through every screen of a kiosk survey at counter 1, answering 1 (so that the reasons
    show), going Back once from the second screen; each screen handed to `check(page, name)`.
    Ends on the reasons screen."""
    page.goto(base + "/c/1")
    with page.expect_navigation():
        page.locator("a.start").first.click()
    for step in range(1, 30):
        check(page, f"kiosk-{variant}-screen-{step}")
        if "/reasons" in page.url:
            break
        faces = page.locator("button.answer[value='1']")
        if faces.count():
            with page.expect_navigation():
                faces.first.click()
        else:
            radios = page.locator("input[type=radio][value='1']")
            for n in range(radios.count()):
                radios.nth(n).check()
            with page.expect_navigation():
                page.locator("form [type=submit]").last.click()
        if step == 1:  # Back: the first screen again, its face shown as chosen
            with page.expect_navigation():
                page.locator("button.back").click()
            check(page, f"kiosk-{variant}-back")
            with page.expect_navigation():
                page.locator("button.answer.chosen, form [type=submit][name=next]").first.click()
    assert "/reasons" in page.url


#: The staff PIN of `counter_kiosk`.
KIOSK_PIN = "246813"


@contextlib.contextmanager
def counter_kiosk(folder: Path):
    """A live kiosk of two counters (the second offering two services), with a staff PIN and
    slow timeouts, recording the pages it serves in `server.seen`: the kiosk the guard and the
    accessibility audit walk."""
    from werkzeug.security import generate_password_hash

    app = kiosk_app(
        folder,
        OFFICE_NAME="Bộ phận Một cửa xã Minh Khai",
        THANKS_SECONDS=600,
        IDLE_TIMEOUT=600,
        STAFF_PIN_HASH=generate_password_hash(KIOSK_PIN),
        COUNTERS=[
            {"code": "1", "name": "Quầy 1", "unit": "H40.22.01", "kinds": ["admin"]},
            {"code": "2", "name": "Quầy 2", "unit": "H40.22.01", "kinds": ["admin", "health"]},
        ],
    )
    seen: set[str] = set()
    record_pages(app, seen)
    with LiveServer(app) as server:
        server.app, server.seen = app, seen
        yield server


def logged_in(browser, server, email: str, password: str | None = None, watch=None):
    """A new laptop-sized browser context signed in to `server` as `email` (the demo password
    unless given); `watch(page)` is called before the first page loads. Returns (context, page)."""
    from collector.demo import DEMO_PASSWORD

    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="vi-VN")
    page = context.new_page()
    if watch is not None:
        watch(page)
    page.goto(server.url + "/login")
    page.fill("#email", email)
    page.fill("#password", password or DEMO_PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    return context, page
