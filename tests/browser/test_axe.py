"""The accessibility audit: axe-core (the engine axe-playwright-python ships) run in real
Chromium with the WCAG 2.2 A and AA rules over every page of the product: the kiosk's screens and
staff page, the phone survey in each of its states, the reports and the administration as each
role (administrator, manager, viewer, counter officer), each page at the kiosk tablet's
800x1280, a laptop's 1366x768 and a phone's 390x844.

A violation fails unless tests/browser/axe_exceptions.toml holds a reviewed exception for its
rule (with the pages and elements it covers and the reason); an exception that no longer matches
anything fails too, so the file stays true. Every page the apps serve as HTML must be audited: a
new page without its place here fails the test of its app.

One Chromium, one server per app on data seeded once; axe is injected once per page and run at
the three sizes by resizing the page (the layout follows a resize as it follows a load).
"""

from __future__ import annotations

import fnmatch
import json
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from axe_playwright_python.base import AXE_SCRIPT

from collector.db import get_session
from collector.demo import DEMO_ADMIN, DEMO_COUNTER, DEMO_MANAGER
from tests.browser.live import (
    KIOSK_PIN,
    VIEWER,
    administration_after_actions,
    counter_kiosk,
    html_endpoints,
    logged_in,
    receipt_survey_path,
    submit,
    walk_kiosk_survey,
)

HERE = Path(__file__).resolve().parent
EXCEPTIONS_FILE = HERE / "axe_exceptions.toml"
VIEWPORTS = {
    "tablet": {"width": 800, "height": 1280},
    "laptop": {"width": 1366, "height": 768},
    "phone": {"width": 390, "height": 844},
}
#: WCAG 2.0, 2.1 and 2.2 at levels A and AA (axe-core's tags).
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": TAGS}, "resultTypes": ["violations"]}
#: The tests of this module that audit pages (the last one checks the exceptions they used).
AUDITS = 6

#: axe's violations at the current size, cut to what a reader of a failure needs.
RUN_JS = """
async (options) => {
  const results = await axe.run(document, options);
  return results.violations.map(v => ({
    rule: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary || ''})),
  }));
}
"""


@dataclass(frozen=True)
class Exception_:
    rule: str
    reason: str
    pages: tuple[str, ...] = ("*",)
    targets: tuple[str, ...] = ("*",)

    def covers(self, rule: str, page: str, target: str) -> bool:
        return (
            rule == self.rule
            and any(fnmatch.fnmatchcase(page, p) for p in self.pages)
            and any(fnmatch.fnmatchcase(target, t) for t in self.targets)
        )


def load_exceptions(path: Path = EXCEPTIONS_FILE) -> list[Exception_]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    found = []
    for entry in data.get("exception", []):
        assert entry.get("reason", "").strip(), f"an exception without a reason: {entry}"
        assert entry.get("reviewed", "").strip(), f"an exception never reviewed: {entry}"
        found.append(
            Exception_(
                rule=entry["rule"],
                reason=entry["reason"],
                pages=tuple(entry.get("pages", ["*"])),
                targets=tuple(entry.get("targets", ["*"])),
            )
        )
    rules = [e.rule for e in found]
    assert len(rules) == len(set(rules)), "one exception per rule"
    return found


@dataclass
class Audit:
    """Runs axe on pages as they come and keeps the violations no exception covers."""

    exceptions: list[Exception_]
    findings: list[str] = field(default_factory=list)
    #: Violations by rule (elements at each size of each page), exceptions included.
    counts: Counter = field(default_factory=Counter)
    used: set[str] = field(default_factory=set)
    pages: int = 0

    def check(self, page, name: str) -> None:
        page.wait_for_load_state()
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.evaluate(AXE_SCRIPT)
        start = page.viewport_size
        for size, viewport in VIEWPORTS.items():
            page.set_viewport_size(viewport)
            for violation in page.evaluate(RUN_JS, AXE_OPTIONS):
                for node in violation["nodes"]:
                    self._judge(violation, node, f"{name}@{size}")
        page.set_viewport_size(start)
        self.pages += 1

    def _judge(self, violation: dict, node: dict, where: str) -> None:
        rule = violation["rule"]
        self.counts[rule] += 1
        page = where.split("@", 1)[0]
        for exception in self.exceptions:
            if exception.covers(rule, page, node["target"]):
                self.used.add(rule)
                return
        summary = " ".join(node["summary"].split())[:300]
        self.findings.append(
            f"{rule} ({violation['impact']}) {where}: {node['target']}\n    {summary}"
        )

    def visit(self, page, url: str, name: str) -> None:
        page.goto(url)
        self.check(page, name)

    def assert_clean(self) -> None:
        assert self.pages > 0
        if self.findings:
            by_rule = ", ".join(f"{rule} {n}" for rule, n in self.counts.most_common())
            pytest.fail(
                f"{len(self.findings)} violations ({by_rule}):\n" + "\n".join(self.findings),
                pytrace=False,
            )


@pytest.fixture(scope="module")
def exceptions() -> list[Exception_]:
    return load_exceptions()


@pytest.fixture(scope="module")
def audits(screenshot_dir):
    """Every audit of the module, to tell at the end which exceptions were needed; the count of
    violations by rule (exceptions included) goes to axe-counts.json beside the screenshots."""
    made: list[Audit] = []
    yield made
    if made:
        counts = sum((a.counts for a in made), Counter())
        (screenshot_dir / "axe-counts.json").write_text(
            json.dumps(dict(counts.most_common()), indent=1), encoding="utf-8"
        )


@pytest.fixture
def audit(exceptions, audits) -> Audit:
    made = Audit(exceptions)
    audits.append(made)
    return made


# -- the collector -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def collector(seeded):
    seeded.seen.clear()  # what other modules opened on the same server was not audited here
    return seeded


#: The reports each role reads: the start page (last week's report of the person's unit, with
#: its units below), a year, a unit's month below the province, the trend. Each kind of report
#: is audited for one role or two: they are one template, and the largest pages of the product
#: (axe takes one to three seconds on each at each size, most of it on colour contrast).
REPORTS = {
    "viewer": {"report-week": "/", "report-year": "/reports?period=2026"},
    "manager": {
        "report-week": "/",
        "report-unit": "/reports?period=2026-11&unit=00007",
        "report-weekly": "/reports/weekly",
    },
    "admin": {"report-week": "/"},
}

#: The other pages of every signed-in role but the counter officer.
PAGES = {
    "report-bad-period": "/reports?period=soon",
    "alerts": "/reports/alerts",
    "account": "/account/",
    "account-password": "/account/password",
    "methodology": "/methodology",
    "kiosks": "/kiosks/",
    "kiosk-broken": "/kiosks/1/broken",
}

ADMIN_PAGES = {
    "units": "/admin/",  # the administration starts at the unit tree
    "unit": "/admin/units/00007",
    "unit-import": "/admin/unit-import",
    "people": "/admin/people",
    "kiosks": "/admin/kiosks",
    "integrations": "/admin/integrations",
    "targets": "/admin/targets",
    "procedures": "/admin/procedures",
    "audit": "/admin/audit",
}


@pytest.mark.parametrize(("role", "email"), [("viewer", VIEWER), ("manager", DEMO_MANAGER)])
def test_the_reports_as_a_viewer_and_a_manager(browser, collector, audit, role, email):
    context, page = logged_in(browser, collector, email)
    for name, path in {**REPORTS[role], **PAGES}.items():
        audit.visit(page, collector.url + path, f"{role}-{name}")
    if role == "manager":
        page.goto(collector.url + "/reports?period=last")
        submit(page, "form[action*='raw.xlsx']")  # the export's own page, while it waits
        audit.check(page, f"{role}-export")
        page.goto(collector.url + "/r/" + collector.spare)  # a slip is printed from a receipt
        audit.visit(page, f"{collector.url}/receipts/{collector.spare}/slip", f"{role}-slip")
    audit.visit(page, collector.url + "/admin/units", f"{role}-admin-refused")
    audit.visit(page, collector.url + "/no-such-page", f"{role}-not-found")
    context.close()
    audit.assert_clean()


def test_the_administration_as_an_administrator(browser, collector, audit):
    context, page = logged_in(browser, collector, DEMO_ADMIN)
    base = collector.url
    # The pages the other roles read differ for an administrator only in the top bar, which
    # every page below has.
    for name, path in {**REPORTS["admin"], **ADMIN_PAGES}.items():
        audit.visit(page, base + path, f"admin-{name}")

    temporary = administration_after_actions(page, base, audit.check)
    context.close()

    # The new manager must change the temporary password first.
    context, page = logged_in(browser, collector, "chu.tich@demo.local", temporary)
    audit.check(page, "new-manager-password")
    context.close()
    audit.assert_clean()


def test_the_counter_page_as_a_counter_officer(browser, collector, audit):
    context, page = logged_in(browser, collector, DEMO_COUNTER)
    page.add_init_script("window.print = () => {};")  # the slip opens the print dialog
    audit.visit(page, collector.url + "/counter", "counter")
    if page.locator("#procedure").count():
        page.select_option("#procedure", index=1)
    page.fill("input[name=dossier]", "00001.MC-261207-0042")
    submit(page, "form[action$='/counter']")
    audit.check(page, "counter-slip")
    audit.visit(page, collector.url + "/reports", "counter-refused")
    context.close()
    audit.assert_clean()


def test_the_phone_survey_in_every_state(browser, collector, audit):
    import datetime as dt

    from collector.models import Receipt
    from collector.receipts.service import receipt_for_token, revoke_receipt
    from collector.receipts.settings import app_key

    context = browser.new_context(viewport=VIEWPORTS["phone"], locale="vi-VN")
    page = context.new_page()
    base = collector.url
    path = receipt_survey_path(collector, "000.00.00001.H40-261207-0901")
    audit.visit(page, base + path, "phone-1")
    for step in range(2, 12):
        radios = page.locator("input[type=radio][value='2']")
        for n in range(radios.count()):
            radios.nth(n).check()
        with page.expect_navigation():
            page.locator("form [type=submit]").last.click()
        if "/thanks" in page.url:
            break
        audit.check(page, f"phone-{step}")
        if step == 2:  # back to the first screen: the answer given is shown
            with page.expect_navigation():
                page.locator("a.btn.minor").first.click()
            audit.check(page, "phone-back")
            with page.expect_navigation():
                page.locator("form [type=submit]").last.click()
    assert "/thanks" in page.url
    audit.check(page, "phone-thanks")
    audit.visit(page, base + path, "phone-answered")
    audit.visit(page, base + "/r/not-a-real-token", "phone-unknown")

    expired = receipt_survey_path(collector, "000.00.00001.H40-261207-0902")
    revoked = receipt_survey_path(collector, "000.00.00001.H40-261207-0903")
    with collector.app.app_context():
        session = get_session()
        key = app_key(collector.app)
        row: Receipt = receipt_for_token(session, key, expired.rsplit("/", 1)[1])
        row.expires_at = row.issued_at - dt.timedelta(days=1)
        revoke_receipt(session, key, revoked.rsplit("/", 1)[1])
        session.commit()
    audit.visit(page, base + expired, "phone-expired")
    audit.visit(page, base + revoked, "phone-revoked")

    # A form that was not issued here (a stale or forged token): nothing stored.
    fresh = receipt_survey_path(collector, "000.00.00001.H40-261207-0904")
    page.goto(base + fresh)
    page.evaluate("document.querySelector('input[name=csrf_token]').value = 'x'")
    with page.expect_navigation():
        page.locator("form [type=submit]").last.click()
    audit.check(page, "phone-bad-form")

    audit.visit(page, base + "/p/00001.MC", "poster")
    audit.visit(page, base + "/login", "login")
    audit.visit(page, base + "/methodology", "methodology-anonymous")
    context.close()
    audit.assert_clean()


def test_every_collector_page_is_audited(collector):
    """Runs after the tests above (same module, in order): every HTML page was audited."""
    left_out = {
        "health.healthz",
        "health.readyz",
        "reports.raw_csv",
        "reports.report_csv",
        "reports.report_xlsx",
        "static",
        "voices.clip",  # the phone survey's clips: audio files, not pages
    }
    missing = html_endpoints(collector.app, left_out) - collector.seen
    assert not missing, f"pages the audit never opens: {sorted(missing)}"


# -- the kiosk -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def kiosk(tmp_path_factory):
    with counter_kiosk(tmp_path_factory.mktemp("axe-kiosk")) as server:
        yield server


def test_every_kiosk_screen_and_the_staff_page(browser, kiosk, audit):
    context = browser.new_context(viewport=VIEWPORTS["tablet"], has_touch=True, locale="vi-VN")
    page = context.new_page()
    base = kiosk.url
    audit.visit(page, base + "/", "kiosk-index")
    audit.visit(page, base + "/c/2", "kiosk-choice")
    audit.visit(page, base + "/c/1", "kiosk-welcome")
    audit.visit(page, base + "/c/1?lang=en", "kiosk-welcome-en")
    walk_kiosk_survey(page, base, audit.check, "short")
    page.locator("label.chip").first.click()
    page.fill("textarea", "Chờ hơi lâu")
    audit.check(page, "kiosk-reasons-chosen")
    with page.expect_navigation():
        page.locator("form [type=submit]").last.click()
    audit.check(page, "kiosk-thanks")

    kiosk.app.config["VARIANT"] = "full"  # the full list: several questions a screen
    try:
        walk_kiosk_survey(page, base, audit.check, "full")
    finally:
        kiosk.app.config["VARIANT"] = "short"

    kiosk.app.config["GUARD_SECONDS"] = 600  # a second rating at once is refused
    page.goto(base + "/c/1")
    with page.expect_navigation():
        page.locator("a.start").first.click()
    audit.check(page, "kiosk-refused")
    kiosk.app.config["GUARD_SECONDS"] = 0
    audit.visit(page, base + "/c/9", "kiosk-no-counter")
    audit.visit(page, base + "/staff/", "staff-login")
    page.fill("input[name=pin]", KIOSK_PIN)
    submit(page, "form")
    audit.check(page, "staff-health")
    page.fill("#officer-1", "CB01")
    submit(page, "form.duty-form:has(#officer-1)")
    audit.check(page, "staff-on-duty")
    submit(page, "form.read-aloud")
    audit.check(page, "staff-read-aloud")
    context.close()
    audit.assert_clean()
    # The voice packs' clips are audio files, not pages.
    leave_out = {"health.healthz", "health.readyz", "static", "voices.clip"}
    missing = html_endpoints(kiosk.app, leave_out) - kiosk.seen
    assert not missing, f"kiosk pages the audit never opens: {sorted(missing)}"


def test_every_exception_is_still_needed(audits, exceptions):
    """Runs last: an exception no audit used is stale and must go."""
    if len(audits) < AUDITS:
        pytest.skip("only some of the audits ran")
    used = set().union(*(a.used for a in audits))
    stale = [e.rule for e in exceptions if e.rule not in used]
    assert not stale, f"exceptions no page needs any more: {stale}"
