"""A guard over every page of the product, in real Chromium at 1366x768 and 390x844: the kiosk's
counter screens and staff page, the phone survey, the reports and the administration as each role
(viewer, manager, administrator). On every page it fails on

- an error of the Content-Security-Policy in the console (a blocked inline handler, script or
  style: the page then does not work as written),
- a page wider than the screen (sideways scrolling; a wide table may scroll in its own box),
- an English message id of the catalogues, verbatim, on a Vietnamese page (a text that skipped
  translation, or was never marked), in the text, the title or a label a person reads,
- a code where a person should read words: an audit action (`kiosk-registered`), a kind of unit
  (`commune`), a role (`manager`), a detail's key (`kiosk_id`), a Python value (`['00013'`,
  `None`) or a UTC ISO time (`2026-12-07T11:39:54+00:00`),
- a page not marked `lang="vi"`.

Text a person typed or pasted (a text area) and commands shown as code are not read.

Every page the apps serve as HTML must be visited: a new page without its place here fails the
test that covers its app. Screenshots of each page at both sizes go to screenshots/guard/.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError

from collector.db import get_session
from collector.demo import (
    DEMO_ADMIN,
    DEMO_COUNTER,
    DEMO_MANAGER,
)
from shared.i18n import catalogue
from tests.browser.live import (
    KIOSK_PIN,
    VIEWER,
    administration_after_actions,
    counter_kiosk,
    html_endpoints,
    logged_in,
    served_collector,
    submit,
    walk_kiosk_survey,
)

ROOT = Path(__file__).resolve().parents[2]
VIEWPORTS = {"laptop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}

#: Printf and brace placeholders of a message id; %% is a literal per cent sign.
PLACEHOLDER = re.compile(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[a-z]|%[sdfr]|\{[^{}]*\}")

#: The page's readable text: text nodes (hidden ones too: print, screen readers, closed
#: details), the labels a person reads in attributes, and the title; never what is marked as
#: another language (the language switch).
TEXT_JS = """
() => {
  const foreign = el => { const l = el.closest('[lang]'); return l && !l.lang.startsWith('vi'); };
  const parts = [document.title];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    if (!el || el.closest('script, style, template, textarea, code, kbd, samp, pre') ||
        foreign(el)) continue;
    parts.push(walker.currentNode.nodeValue);
  }
  for (const el of document.querySelectorAll(
      '[placeholder], [title], [aria-label], [alt], [data-label], input[type=submit][value]')) {
    if (foreign(el)) continue;
    for (const name of ['placeholder', 'title', 'aria-label', 'alt', 'data-label', 'value']) {
      if (el.hasAttribute(name) && (name !== 'value' || el.type === 'submit'))
        parts.push(el.getAttribute(name));
    }
  }
  return {lang: document.documentElement.lang, text: parts.join('\\n')};
}
"""

#: How wide the page is against the screen, and the widest elements outside a scrolling box.
WIDTH_JS = """
() => {
  const width = document.documentElement.clientWidth;
  const wide = [];
  for (const el of document.querySelectorAll('body *')) {
    if (el.parentElement.closest('.scroll, .heatmaps > div')) continue;
    const r = el.getBoundingClientRect();
    if (r.width > 0 && r.right > width + 1) {
      wide.push(`${el.tagName.toLowerCase()}.${el.className.baseVal ?? el.className} ` +
                `${Math.round(r.right)}`);
    }
  }
  return {width, scroll: document.documentElement.scrollWidth, wide: wide.slice(0, 5)};
}
"""


class EnglishIds:
    """The English message ids of some catalogues that have a different Vietnamese text, as
    patterns that find them verbatim (placeholders match anything; whole words only)."""

    def __init__(self, *areas: str):
        self.patterns: dict[str, re.Pattern] = {}
        for area in areas:
            vietnamese = catalogue("vi", ROOT / area / "translations")._catalog  # noqa: SLF001
            for key, text in vietnamese.items():
                message = key if isinstance(key, str) else key[0]
                if not message or not text or text == message or message in self.patterns:
                    continue
                pattern = self._pattern(message)
                if pattern is not None:
                    self.patterns[message] = pattern

    @staticmethod
    def _pattern(message: str) -> re.Pattern | None:
        literals = [" ".join(p.split()) for p in PLACEHOLDER.split(message.replace("%%", "%"))]
        letters = sum(ch.isalpha() for part in literals for ch in part)
        words = " ".join(literals).split()
        # Too short to tell from a code, a unit's name or an abbreviation on the page.
        if letters < 4 or (len(words) == 1 and letters < 5):
            return None
        body = r"[^\n]+?".join(r"\s+".join(map(re.escape, part.split())) for part in literals)
        return re.compile(rf"(?<![\w@.\-/]){body}(?![\w@\-/])")

    def found_in(self, text: str) -> list[str]:
        text = _prose(text)
        return [message for message, pattern in self.patterns.items() if pattern.search(text)]


#: Codes and machine values that a Vietnamese page must show in words. Whole tokens only; e-mail
#: addresses and links are removed first (admin@demo.local is not the role "admin").
MACHINE_VALUES = (
    r"\['",  # a Python list
    r"(?<![\w-])(?:None|True|False)(?![\w-])",
    r"\d{4}-\d\d-\d\dT\d\d:\d\d",  # an ISO time
    r"\+00:00",
)


def code_patterns(*codes: str) -> list[re.Pattern]:
    # Whole tokens, not in quotes: a message may name a code to type ('commune' in a CSV).
    words = [rf"(?<![\w./'\"-]){re.escape(code)}(?![\w/'\"-]|\.\w)" for code in codes]
    return [re.compile(p) for p in (*MACHINE_VALUES, *words)]


def collector_codes() -> list[re.Pattern]:
    from collector.audit import ACTIONS, DETAILS
    from collector.models import ROLES
    from collector.models.units import UNIT_KINDS

    keys = [key for key in DETAILS if "_" in key]  # kiosk_id; "unit" or "name" are words
    return code_patterns(*ACTIONS, *UNIT_KINDS, *ROLES, *keys)


def _prose(text: str) -> str:
    # E-mail addresses and links are not words of the page (admin@demo.local).
    return re.sub(r"\S+@\S+|https?://\S+", " ", text)


@dataclass
class Guard:
    """Checks pages as they come and keeps what it found, page by page."""

    english: EnglishIds
    codes: list[re.Pattern]
    shots: Path
    findings: list[str] = field(default_factory=list)
    csp: list[str] = field(default_factory=list)
    checked: int = 0

    def watch(self, page) -> None:
        page.on(
            "console",
            lambda m: self.csp.append(m.text) if "Content Security Policy" in m.text else None,
        )

    def check(self, page, name: str) -> None:
        """Check the page as it is now at both sizes (the layout follows a resize as it follows
        a load), then go back to the laptop's size. A page that reloads itself (an export
        waiting its turn) is checked again once it has loaded."""
        for attempt in range(3):
            page.wait_for_load_state()
            try:
                found = self._look(page, name)
            except PlaywrightError as exc:
                if attempt == 2 or "destroyed" not in str(exc):
                    raise
                continue
            break
        page.set_viewport_size(VIEWPORTS["laptop"])
        self.findings.extend(found)
        self.findings.extend(f"{name}: {error}" for error in self.csp)
        self.csp.clear()
        self.checked += 1

    def _look(self, page, name: str) -> list[str]:
        found = []
        seen = page.evaluate(TEXT_JS)
        if seen["lang"] != "vi":
            found.append(f"{name}: <html lang={seen['lang']!r}>")
        found += [
            f"{name}: English on the page: {m!r}" for m in self.english.found_in(seen["text"])
        ]
        prose = _prose(seen["text"])
        for pattern in self.codes:
            found += [
                f"{name}: a code on the page: {c!r}"
                for c in {m[0] for m in pattern.finditer(prose)}
            ]
        for size, viewport in VIEWPORTS.items():
            page.set_viewport_size(viewport)
            width = page.evaluate(WIDTH_JS)
            if width["scroll"] > width["width"]:
                found.append(
                    f"{name} at {size}: {width['scroll']} px wide for {width['width']}: "
                    f"{width['wide']}"
                )
            page.screenshot(path=str(self.shots / f"{name}-{size}.png"))
        return found

    def visit(self, page, base: str, path: str, name: str) -> None:
        page.goto(base + path)
        self.check(page, name)

    def assert_clean(self) -> None:
        assert self.checked > 0
        if self.findings:
            pytest.fail(
                f"{len(self.findings)} findings:\n" + "\n".join(self.findings), pytrace=False
            )


@pytest.fixture(scope="module")
def shots(screenshot_dir) -> Path:
    folder = screenshot_dir / "guard"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# -- the collector -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def collector(tmp_path_factory):
    with served_collector(tmp_path_factory.mktemp("guard-collector")) as server:
        yield server


@pytest.fixture
def guard(shots) -> Guard:
    return Guard(EnglishIds("shared", "collector"), collector_codes(), shots)


#: Pages of every signed-in person, by path; `{unit}` is the person's unit.
REPORT_PAGES = {
    "home": "/",
    "report-week": "/reports?period=last",
    "report-month": "/reports?period=2026-11",
    "report-quarter": "/reports?period=2026-Q4",
    "report-year": "/reports?period=2026",
    "report-range": "/reports?period=2026-11-01..2026-12-06",
    "report-weekly": "/reports/weekly",
    "alerts": "/reports/alerts",
    "account": "/account/",
    "account-password": "/account/password",
    "methodology": "/methodology",
    "kiosks": "/kiosks/",
    "kiosk-broken": "/kiosks/1/broken",
}


@pytest.mark.parametrize(
    ("role", "email"), [("viewer", VIEWER), ("manager", DEMO_MANAGER), ("admin", DEMO_ADMIN)]
)
def test_every_report_page_as_each_role(browser, collector, guard, role, email):
    context, page = logged_in(browser, collector, email, watch=guard.watch)
    guard.check(page, f"{role}-start")
    for name, path in REPORT_PAGES.items():
        guard.visit(page, collector.url, path, f"{role}-{name}")
    if role != "viewer":
        page.goto(collector.url + "/reports?period=last")
        submit(page, "form[action*='raw.xlsx']")  # the export's own page, while it waits
        guard.check(page, f"{role}-export")
        page.goto(collector.url + "/r/" + collector.spare)  # a slip is printed from a receipt
        guard.visit(page, collector.url, f"/receipts/{collector.spare}/slip", f"{role}-slip")
    if role != "admin":
        guard.visit(page, collector.url, "/admin/units", f"{role}-admin-refused")
    guard.visit(page, collector.url, "/no-such-page", f"{role}-not-found")
    context.close()
    guard.assert_clean()


def test_the_counter_page_of_a_counter_officer(browser, collector, guard):
    """A counter officer's one page: the counter page, then a slip issued from it."""
    context, page = logged_in(browser, collector, DEMO_COUNTER, watch=guard.watch)
    page.add_init_script("window.print = () => {};")  # the slip opens the print dialog
    guard.visit(page, collector.url, "/counter", "counter")
    if page.locator("#procedure").count():
        page.select_option("#procedure", index=1)
    page.fill("input[name=dossier]", "00001.MC-261207-0042")
    submit(page, "form[action$='/counter']")
    guard.check(page, "counter-slip")
    guard.visit(page, collector.url, "/reports", "counter-refused")
    context.close()
    guard.assert_clean()


def test_every_administration_page(browser, collector, guard):
    context, page = logged_in(browser, collector, DEMO_ADMIN, watch=guard.watch)
    base = collector.url
    for name, path in {
        "admin": "/admin/",
        "units": "/admin/units",
        "unit": "/admin/units/00007",
        "unit-import": "/admin/unit-import",
        "people": "/admin/people",
        "kiosks": "/admin/kiosks",
        "integrations": "/admin/integrations",
        "targets": "/admin/targets",
        "procedures": "/admin/procedures",
        "audit": "/admin/audit",
    }.items():
        guard.visit(page, base, path, f"admin-{name}")

    temporary = administration_after_actions(page, base, guard.check)
    context.close()

    # The new manager must change the temporary password first.
    context, page = logged_in(
        browser, collector, "chu.tich@demo.local", temporary, watch=guard.watch
    )
    guard.check(page, "new-manager-password")
    context.close()
    guard.assert_clean()


def test_the_phone_survey_and_the_poster(browser, collector, guard):
    context = browser.new_context(viewport=VIEWPORTS["phone"], locale="vi-VN")
    page = context.new_page()
    guard.watch(page)
    base = collector.url
    # A receipt of its own: the spare one is kept unanswered for the slip.
    with collector.app.app_context():
        from collector.receipts.service import ReceiptRequest, issue_receipt
        from collector.receipts.settings import app_key, public_url

        session = get_session()
        issued = issue_receipt(
            session,
            ReceiptRequest(dossier="000.00.00001.H40-261207-0999", unit="00001.MC"),
            key=app_key(collector.app),
            public_url=public_url(collector.app),
            ttl_days=30,
        )
        session.commit()
    path = "/r/" + issued.url.rsplit("/", 1)[1]
    guard.visit(page, base, path, "phone-1")
    for step in range(2, 12):
        radios = page.locator("input[type=radio][value='2']")
        for n in range(radios.count()):
            radios.nth(n).check()
        with page.expect_navigation():
            page.locator("form [type=submit]").last.click()
        guard.check(page, f"phone-{step}")
        if "/thanks" in page.url:
            break
    assert "/thanks" in page.url
    guard.visit(page, base, path, "phone-answered")  # the link again, once sent
    guard.visit(page, base, "/r/not-a-real-token", "phone-unknown")
    guard.visit(page, base, "/p/00001.MC", "poster")
    guard.visit(page, base, "/login", "login")
    guard.visit(page, base, "/methodology", "methodology-anonymous")
    context.close()
    guard.assert_clean()


def test_every_collector_page_is_guarded(collector, request):
    """Runs after the tests above (same module, in order): every HTML page was visited."""
    left_out = {
        "health.healthz",
        "health.readyz",
        "reports.raw_csv",
        "reports.report_csv",
        "reports.report_xlsx",
        "static",
    }
    expected = html_endpoints(collector.app, left_out)
    missing = expected - collector.seen
    assert not missing, f"pages no guard test opens: {sorted(missing)}"


# -- the kiosk -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def kiosk(tmp_path_factory):
    with counter_kiosk(tmp_path_factory.mktemp("guard-kiosk")) as server:
        yield server


def test_every_kiosk_screen_and_the_staff_page(browser, kiosk, shots):
    guard = Guard(EnglishIds("shared", "kiosk"), code_patterns(), shots)
    context = browser.new_context(viewport=VIEWPORTS["laptop"], has_touch=True, locale="vi-VN")
    page = context.new_page()
    guard.watch(page)
    base = kiosk.url
    guard.visit(page, base, "/", "kiosk-index")
    guard.visit(page, base, "/c/2", "kiosk-choice")
    guard.visit(page, base, "/c/1", "kiosk-welcome")
    walk_kiosk_survey(page, base, guard.check, "short")
    page.locator("label.chip").first.click()
    page.fill("textarea", "Chờ hơi lâu")
    with page.expect_navigation():
        page.locator("form [type=submit]").last.click()
    guard.check(page, "kiosk-thanks")
    # A second rating at once is refused (GUARD_SECONDS), on a screen of its own.
    kiosk.app.config["GUARD_SECONDS"] = 600
    page.goto(base + "/c/1")
    with page.expect_navigation():
        page.locator("a.start").first.click()
    guard.check(page, "kiosk-refused")
    kiosk.app.config["GUARD_SECONDS"] = 0
    guard.visit(page, base, "/c/9", "kiosk-no-counter")
    guard.visit(page, base, "/staff/", "staff-login")
    page.fill("input[name=pin]", KIOSK_PIN)
    submit(page, "form")
    guard.check(page, "staff-health")
    context.close()
    guard.assert_clean()
    missing = html_endpoints(kiosk.app, {"health.healthz", "health.readyz", "static"}) - kiosk.seen
    assert not missing, f"kiosk pages no guard test opens: {sorted(missing)}"
