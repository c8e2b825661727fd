"""Kiosk benchmark (not a test): `.venv/bin/python bench/kiosk.py [--quick] [--profile]`.

Taps full short admin surveys (6 screens: GET the screen, POST the answer, follow the 303; then the
thank-you page) through the kiosk app, every answer committed durably to SQLite (WAL,
synchronous=FULL), and the same screens through a bare Flask + sqlite3 app that does one durable
INSERT of a JSON row per answer. Both run in-process (Flask test client, one tablet), under gunicorn
(2 sync workers) with one tablet and with many tablets, and under `sipas kiosk run` (gunicorn, one
process, 8 threads) with many tablets. Tablets are client threads on loopback, each at its own
counter, tapping without pause for a fixed number of surveys. Then: the resident memory of the
server processes, whether pandas is loaded, and the weight of each screen with its CSS, JS and
images. Prints one table; see docs/benchmarks.md ("Kiosk") for how to read it.

`--profile` runs only the in-process kiosk under cProfile and prints where the time goes.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import http.client
import importlib.util
import io
import os
import pstats
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode, urljoin, urlsplit

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# `python bench/kiosk.py` puts bench/ first on sys.path, where this file would shadow the kiosk
# package: the repository goes first, bench/ (for _common) last.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if p and Path(p).resolve() != HERE] + [str(HERE)]

from _common import (  # noqa: E402
    Samples,
    children,
    exit_on_sigterm,
    fmt,
    free_port,
    load,
    machine,
    maps_mention,
    rss_mb,
    run_threads,
    server,
    split,
    table,
)

from shared import questionnaires  # noqa: E402
from shared.migrate import upgrade  # noqa: E402

TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
CODES = [item.code for item in questionnaires.current("admin", "short").questions]
STAFF_PIN = "246813"
SURVEYS, QUICK_SURVEYS = 300, 60
TABLETS = 16
GUNICORN_WORKERS = 2
WAITRESS_THREADS = 8
TAP_P99_MS = 20
RSS_MB = 150
PAGE_KB = 60
#: "Paced" tablets read each screen for this long (uniform, seconds) before tapping: a load well
#: below capacity (still far above a real office's, where a person takes seconds per screen).
THINK = (0.2, 0.4)

#: A bare Flask + sqlite3 app with the kiosk's request pattern: a small page with a hidden token,
#: and a POST that commits one JSON row (BEGIN IMMEDIATE, WAL, synchronous=FULL) and answers 303.
BARE_APP = '''
"""Bare baseline for bench/kiosk.py (written there)."""
import json
import os
import secrets
import sqlite3
import threading

from flask import Flask, redirect, request

STEPS = 6
PAGE = (
    '<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>Q</title></head><body>'
    '<form method="post"><input id="csrf_token" name="csrf_token" type="hidden" value="{token}">'
    '<button name="{code}" value="4">4</button></form></body></html>'
)


def create_app(db_path=None):
    db_path = db_path or os.environ["BARE_DB"]
    app = Flask(__name__)
    local = threading.local()

    def connection():
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(db_path, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA busy_timeout=3000")
            local.conn = conn
        return conn

    @app.get("/b/<int:step>")
    def screen(step):
        return PAGE.format(token=secrets.token_urlsafe(48), code=f"Q{step}")

    @app.post("/b/<int:step>")
    def tap(step):
        conn = connection()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            "INSERT INTO taps (body) VALUES (?)", (json.dumps({"step": step, **request.form}),)
        )
        conn.execute("COMMIT")
        return redirect(f"/b/{step + 1}" if step + 1 < STEPS else "/b/thanks", 303)

    @app.get("/b/thanks")
    def thanks():
        return "<!doctype html><p>Thanks</p>"

    return app
'''


# -- clients -----------------------------------------------------------------------------------


class Failed(RuntimeError):
    pass


class InProcess:
    """The Flask test client, answering (status, location path, body)."""

    def __init__(self, app):
        self.client = app.test_client()

    def get(self, path):
        r = self.client.get(path)
        return r.status_code, r.headers.get("Location"), r.get_data()

    def post(self, path, form):
        r = self.client.post(path, data=form)
        return r.status_code, r.headers.get("Location"), r.get_data()


class Http:
    """One tablet's HTTP/1.1 connection (reopened when the server closes it, as gunicorn's sync
    workers do after every response)."""

    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def _request(self, method, path, body=None, headers=None):
        try:
            self.conn.request(method, path, body, headers or {})
            r = self.conn.getresponse()
            data = r.read()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            # A kept-alive connection closed by the server before this request reached it.
            self.conn.close()
            self.conn.request(method, path, body, headers or {})
            r = self.conn.getresponse()
            data = r.read()
        if r.will_close:
            self.conn.close()
        return r.status, r.getheader("Location"), data

    def get(self, path):
        return self._request("GET", path)

    def post(self, path, form):
        body = urlencode(form)
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        return self._request("POST", path, body, headers)

    def close(self):
        self.conn.close()


def _path(location: str | None) -> str:
    if not location:
        raise Failed("redirect without Location")
    parts = urlsplit(location)
    return parts.path + (f"?{parts.query}" if parts.query else "")


#: Answers the server may give under load: refused or not saved. Counted, never retried: the
#: person at the counter would see an error screen. Anything else unexpected stops the benchmark.
SERVER_ERRORS = {409, 429, 500, 502, 503, 504}


@dataclass
class Run:
    """What one setting measured."""

    taps: Samples = field(default_factory=Samples)  # the POST that stores an answer
    screens: Samples = field(default_factory=Samples)  # GET the screen + POST its answer
    surveys: int = 0  # completed, thank-you page reached
    writes: int = 0  # POSTs answered 303: answers stored
    errors: list[str] = field(default_factory=list)  # "503 POST /c/..." for each failed request
    elapsed: float = 0.0

    def add(self, other: Run) -> None:
        self.taps.extend(other.taps)
        self.screens.extend(other.screens)
        self.surveys += other.surveys
        self.writes += other.writes
        self.errors += other.errors

    @property
    def taps_per_s(self) -> float:
        return len(self.taps) / self.elapsed

    @property
    def surveys_per_s(self) -> float:
        return self.surveys / self.elapsed


def _failed(run: Run, method: str, url: str, status: int, body: bytes) -> None:
    if status not in SERVER_ERRORS:
        raise Failed(f"{method} {url}: {status} {body[:300]!r}")
    run.errors.append(f"{status} {method} {url}")


def survey(
    client,
    start: str,
    rng: random.Random,
    run: Run,
    thanks_suffix: str,
    think: tuple[float, float] | None = None,
) -> None:
    """One person: every screen of the short admin survey answered with 3-5, then the thanks.
    `think`: seconds (uniform between the two) spent reading each screen before tapping, not
    counted in the screen time. A refused or failed request abandons the survey."""
    url = start
    for code in CODES:
        t0 = time.perf_counter()
        status, _, body = client.get(url)
        if status != 200:
            return _failed(run, "GET", url, status, body)
        match = TOKEN.search(body.decode())
        if not match:
            raise Failed(f"GET {url}: no csrf token")
        t1 = time.perf_counter()
        if think:
            time.sleep(rng.uniform(*think))
        t2 = time.perf_counter()
        status, location, body = client.post(
            url, {code: str(rng.choice((3, 4, 5))), "csrf_token": match.group(1)}
        )
        t3 = time.perf_counter()
        # A failed tap still took this long for the person waiting: it counts.
        run.taps.add(t3 - t2)
        run.screens.add(t3 - t2 + t1 - t0)
        if status != 303:
            return _failed(run, "POST", url, status, body)
        run.writes += 1
        url = _path(location)
    if not url.endswith(thanks_suffix):
        raise Failed(f"survey ended at {url}, not the thank-you page")
    status, _, body = client.get(url)
    if status != 200:
        return _failed(run, "GET", url, status, body)
    run.surveys += 1
    return None


def kiosk_start(tablet: int) -> str:
    return f"/c/{counter_code(tablet)}/admin/new/0"


def bare_start(_tablet: int) -> str:
    return "/b/0"


def drive(
    make_client,
    start,
    thanks_suffix: str,
    tablets: int,
    surveys: int,
    seed: int,
    think: tuple[float, float] | None = None,
) -> Run:
    """`tablets` threads share `surveys` surveys; each tablet taps at its own counter."""
    parts = [Run() for _ in range(tablets)]
    shares = split(surveys, tablets)

    def tablet(n: int) -> None:
        client = make_client()
        rng = random.Random(seed * 1000 + n)
        try:
            for _ in range(shares[n]):
                survey(client, start(n), rng, parts[n], thanks_suffix, think)
        finally:
            if hasattr(client, "close"):
                client.close()

    total = Run()
    total.elapsed = run_threads(tablets, tablet)
    for part in parts:
        total.add(part)
    return total


# -- set-up ------------------------------------------------------------------------------------


def counter_code(tablet: int) -> str:
    return f"T{tablet + 1:02d}"


def kiosk_toml(tablets: int) -> str:
    from werkzeug.security import generate_password_hash

    lines = [
        'office_name = "UBND phường Bến Thành (benchmark)"',
        'kiosk_id = "bench"',
        f'secret_key = "{"b" * 64}"',
        'variant = "short"',
        "guard_seconds = 0",
        "burst_size = 0",
        f'staff_pin_hash = "{generate_password_hash(STAFF_PIN)}"',
    ]
    for n in range(tablets):
        lines += [
            "",
            "[[counters]]",
            f'code = "{counter_code(n)}"',
            'unit = "H79.760.26734"',
            'kinds = ["admin"]',
            f'name = "Quầy {n + 1}"',
        ]
    return "\n".join(lines) + "\n"


class Workspace:
    """A temporary folder with a migrated kiosk database, copied into one instance per setting."""

    def __init__(self, root: Path, tablets: int):
        self.root = root
        self.tablets = tablets
        self.template = root / "template.sqlite3"
        upgrade("kiosk", f"sqlite:///{self.template}")
        (root / "bare_app.py").write_text(BARE_APP, encoding="utf-8")

    def kiosk_instance(self, name: str) -> Path:
        path = self.root / name
        path.mkdir()
        shutil.copy(self.template, path / "kiosk.sqlite3")
        (path / "kiosk.toml").write_text(kiosk_toml(self.tablets), encoding="utf-8")
        return path

    def bare_db(self, name: str) -> Path:
        path = self.root / f"{name}.sqlite3"
        with sqlite3.connect(path) as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("CREATE TABLE taps (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
        conn.close()
        return path

    def bare_module(self):
        spec = importlib.util.spec_from_file_location("bare_app", self.root / "bare_app.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module


def completed_kiosk(instance: Path) -> int:
    with sqlite3.connect(instance / "kiosk.sqlite3") as conn:
        n = conn.execute("SELECT count(*) FROM responses WHERE status = 'complete'").fetchone()[0]
    conn.close()
    return n


def stored_bare(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        n = conn.execute("SELECT count(*) FROM taps").fetchone()[0]
    conn.close()
    return n


def check_stored(what: str, found: int, expected: int) -> None:
    if found != expected:
        raise Failed(f"{what}: {found} stored, expected {expected}")


# -- the settings ------------------------------------------------------------------------------


@dataclass
class Pair:
    setting: str
    kiosk: Run
    bare: Run


def warm_up(make_client, start, thanks_suffix: str, tablets: int) -> Run:
    """One untimed survey per tablet (templates compiled, catalogues loaded, connections open)."""
    return drive(make_client, start, thanks_suffix, tablets, tablets, seed=0)


def in_process(ws: Workspace, surveys: int) -> Pair:
    from kiosk import create_app, db

    instance = ws.kiosk_instance("inproc")
    app = create_app(instance_path=str(instance))
    try:
        warm = warm_up(lambda: InProcess(app), kiosk_start, "/thanks", 1)
        kiosk = drive(lambda: InProcess(app), kiosk_start, "/thanks", 1, surveys, seed=1)
    finally:
        db.engine(app).dispose()
    check_stored("in-process kiosk", completed_kiosk(instance), warm.surveys + kiosk.surveys)

    path = ws.bare_db("bare-inproc")
    bare_app = ws.bare_module().create_app(str(path))
    warm = warm_up(lambda: InProcess(bare_app), bare_start, "/thanks", 1)
    bare = drive(lambda: InProcess(bare_app), bare_start, "/thanks", 1, surveys, seed=1)
    check_stored("in-process bare", stored_bare(path), warm.writes + bare.writes)
    return Pair("in-process, 1 tablet", kiosk, bare)


def gunicorn_argv(port: int, app: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(GUNICORN_WORKERS),
        "--worker-class",
        "sync",
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        app,
    ]


@dataclass
class Memory:
    label: str
    pid: int
    rss: float | None
    pandas: bool


def http_pair(
    ws: Workspace,
    name: str,
    label: str,
    kiosk_argv,
    bare_argv,
    tablets: int,
    surveys: int,
    memory: list[Memory],
    think: tuple[float, float] | None = None,
) -> Pair:
    """The kiosk then the bare app under the same server, each in a process of its own."""

    def served(which: str, argv, env: dict[str, str], start, master: bool):
        """Warm up then drive one app; its processes' memory (whether each maps pandas, for
        the kiosk) added to `memory`."""
        port = free_port()
        log = ws.root / f"{name}-{which}.log"
        with server(argv(port), port=port, log=log, cwd=ws.root, env=env) as srv:
            warm = warm_up(lambda: Http(port), start, "/thanks", tablets)
            result = drive(lambda: Http(port), start, "/thanks", tablets, surveys, 2, think)
            workers = children(srv.pid)
            for i, pid in enumerate(workers or [srv.pid], 1):
                role = f"worker {i}" if workers else "process"
                pandas = master and maps_mention(pid, "pandas")
                memory.append(Memory(f"{label}: {which} {role}", pid, rss_mb(pid), pandas))
            if workers and master:
                memory.append(Memory(f"{label}: {which} master", srv.pid, rss_mb(srv.pid), False))
        return warm, result

    instance = ws.kiosk_instance(name)
    argv = functools.partial(kiosk_argv, instance=instance)
    warm, kiosk = served("kiosk", argv, {"PYTHONPATH": str(ROOT)}, kiosk_start, True)
    check_stored(f"{label} kiosk", completed_kiosk(instance), warm.surveys + kiosk.surveys)

    path = ws.bare_db(f"bare-{name}")
    env = {"BARE_DB": str(path), "PYTHONPATH": str(ws.root)}
    warm, bare = served("bare", bare_argv, env, bare_start, False)
    check_stored(f"{label} bare", stored_bare(path), warm.writes + bare.writes)
    return Pair(label, kiosk, bare)


def gunicorn_kiosk(port: int, instance: Path) -> list[str]:
    return gunicorn_argv(port, f"kiosk:create_app(instance_path={str(instance)!r})")


def gunicorn_bare(port: int) -> list[str]:
    return gunicorn_argv(port, "bare_app:create_app()")


def waitress_kiosk(port: int, instance: Path) -> list[str]:
    # The kiosk's own server command (gunicorn, one threaded worker process with the kiosk's
    # background thread; waitress before issue 20).
    cli = "from sipas.cli import main; main()"
    return [sys.executable, "-c", cli, "kiosk", "run", "--instance", str(instance)] + [
        "--port",
        str(port),
        "--threads",
        str(WAITRESS_THREADS),
    ]


def waitress_bare(port: int) -> list[str]:
    # The same server as `sipas kiosk run`: one gunicorn process with threads.
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers=1",
        f"--threads={WAITRESS_THREADS}",
        f"--bind=127.0.0.1:{port}",
        "--log-level=warning",
        "bare_app:create_app()",
    ]


# -- memory, imports, page weight ----------------------------------------------------------------


def kiosk_imports_pandas() -> bool:
    code = "import kiosk, kiosk.views, kiosk.worker, kiosk.cli, sys; print('pandas' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip() == "True"


class Assets(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "link" and a.get("href") and "stylesheet" in (a.get("rel") or "").split():
            self.urls.append(a["href"])
        elif tag in ("script", "img") and a.get("src"):
            self.urls.append(a["src"])


CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+)['"]?\s*\)|@import\s+['"]([^'"]+)['"]""")


def page_weights(ws: Workspace) -> list[tuple[str, int, int, str]]:
    """(screen, page bytes, total bytes with what it references, URL) for each kiosk screen."""
    from kiosk import create_app, db

    instance = ws.kiosk_instance("pages")
    app = create_app(instance_path=str(instance))
    client = app.test_client()

    def fetch(url: str, expect: int = 200) -> bytes:
        r = client.get(url)
        if r.status_code != expect:
            raise Failed(f"GET {url}: {r.status_code}")
        return r.get_data()

    def weigh(name: str, url: str, body: bytes | None = None):
        body = fetch(url) if body is None else body
        parser = Assets()
        parser.feed(body.decode())
        seen, total = set(), len(body)
        queue = [urljoin(url, u) for u in parser.urls]
        while queue:
            asset = queue.pop()
            if asset in seen or asset.startswith("data:"):
                continue
            seen.add(asset)
            data = fetch(_path(asset))
            total += len(data)
            if asset.split("?")[0].endswith(".css"):
                for m in CSS_URL.finditer(data.decode(errors="replace")):
                    queue.append(urljoin(asset, m.group(1) or m.group(2)))
        return (name, len(body), total, url)

    def post(url, form):
        r = client.post(url, data=form)
        if r.status_code != 303:
            raise Failed(f"POST {url}: {r.status_code}")
        return _path(r.headers["Location"])

    code = counter_code(0)
    out = [weigh("welcome", f"/c/{code}")]
    first = f"/c/{code}/admin/new/0"
    page = fetch(first)
    out.append(weigh("question (first)", first, page))
    token = TOKEN.search(page.decode()).group(1)
    url = post(first, {CODES[0]: "1", "csrf_token": token})  # a low score: reasons follow
    out.append(weigh("question (later)", url))
    for _ in CODES[1:]:
        token = TOKEN.search(fetch(url).decode()).group(1)
        url = post(url, {"skip": "1", "csrf_token": token})
    if not url.endswith("/reasons"):
        raise Failed(f"a low score led to {url}, not the reasons screen")
    out.append(weigh("reasons", url))
    token = TOKEN.search(fetch(url).decode()).group(1)
    url = post(url, {"skip": "1", "csrf_token": token})
    out.append(weigh("thanks", url))
    out.append(weigh("staff login", "/staff/"))
    db.engine(app).dispose()
    return out


# -- the report --------------------------------------------------------------------------------


def verdict(checks: list[tuple[bool, str]]) -> str:
    failed = [name for ok, name in checks if not ok]
    return "pass" if not failed else "FAIL " + ", ".join(failed)


def _failures(run: Run) -> str:
    return f", {len(run.errors)} failed" if run.errors else ""


def _timings(samples, per_s: float) -> tuple[str, str, str]:
    """The p50 and p99 of `samples` in ms, and the rate per second, as the table writes them."""
    return fmt(samples.ms(50)), fmt(samples.ms(99)), fmt(per_s)


def report(pairs: list[Pair], memory: list[Memory], pandas: bool, pages) -> str:
    headers = ["setting", "p50 ms", "p99 ms", "per s", "p99/base", "rate/base"]
    headers += ["measured", "target", "result"]
    rows = []

    def row(setting, p50="", p99="", rate="", p99_ratio="", rate_ratio="", *rest):
        rows.append([setting, p50, p99, rate, p99_ratio, rate_ratio, *rest])

    for pair in pairs:
        k, b = pair.kiosk, pair.bare
        tap_p99 = k.taps.ms(99) / b.taps.ms(99)
        tap_rate = k.taps_per_s / b.taps_per_s
        scr_p99 = k.screens.ms(99) / b.screens.ms(99)
        scr_rate = k.surveys_per_s / b.surveys_per_s
        ok = (not k.errors, "errors")
        row(
            f"{pair.setting}: kiosk tap (POST)",
            *_timings(k.taps, k.taps_per_s),
            fmt(tap_p99, 2),
            fmt(tap_rate, 2),
            f"{len(k.taps)} taps{_failures(k)}",
            f"p99<{TAP_P99_MS}ms, 2x base",
            verdict(
                [(k.taps.ms(99) < TAP_P99_MS, "p99"), (tap_p99 <= 2 and tap_rate >= 0.5, "2x"), ok]
            ),
        )
        row(
            f"{pair.setting}: kiosk screen (GET+POST)",
            *_timings(k.screens, k.surveys_per_s),
            fmt(scr_p99, 2),
            fmt(scr_rate, 2),
            f"{k.surveys} responses",
            "2x base",
            verdict([(scr_p99 <= 2 and scr_rate >= 0.5, "2x")]),
        )
        row(
            f"{pair.setting}: bare tap (POST)",
            *_timings(b.taps, b.taps_per_s),
            "1",
            "1",
            f"{len(b.taps)} inserts{_failures(b)}",
            "baseline",
        )
        row(
            f"{pair.setting}: bare screen (GET+POST)",
            *_timings(b.screens, b.surveys_per_s),
            "1",
            "1",
            f"{b.surveys} surveys",
            "baseline",
        )
    for m in memory:
        measured = f"{fmt(m.rss)} MB" + (", pandas loaded" if m.pandas else "")
        if ": kiosk" in m.label:
            ok = m.rss is not None and m.rss < RSS_MB and not m.pandas
            row(f"RSS {m.label}", *[""] * 5, measured, f"<{RSS_MB} MB", verdict([(ok, "RSS")]))
        else:
            row(f"RSS {m.label}", *[""] * 5, measured)
    row("kiosk imports pandas", *[""] * 5, "yes" if pandas else "no", "no")
    rows[-1].append(verdict([(not pandas, "pandas")]))
    for name, page, total, _url in pages:
        measured = f"{total / 1024:.1f} KB (HTML {page / 1024:.1f})"
        ok = total < PAGE_KB * 1024
        row(f"page weight: {name}", *[""] * 5, measured, f"<{PAGE_KB} KB", verdict([(ok, "size")]))
    width = len(headers)
    return table(headers, [r + [""] * (width - len(r)) for r in rows], right={1, 2, 3, 4, 5})


def _package(filename: str, name: str) -> str:
    """The top-level package a profiled function belongs to."""
    if filename == "~":
        return f"C: {name.split(' of ')[0]}" if "sqlite3" not in name else "C: sqlite3"
    path = Path(filename)
    parts = path.parts
    if "site-packages" in parts:
        return parts[parts.index("site-packages") + 1].removesuffix(".py")
    try:
        return path.resolve().relative_to(ROOT).parts[0]
    except ValueError:
        return "stdlib: " + path.stem


def profile(surveys: int, tablets: int) -> None:
    from kiosk import create_app, db

    with tempfile.TemporaryDirectory(prefix="sipas-bench-") as tmp:
        ws = Workspace(Path(tmp), tablets)
        instance = ws.kiosk_instance("profile")
        app = create_app(instance_path=str(instance))
        warm_up(lambda: InProcess(app), kiosk_start, "/thanks", 1)
        profiler = cProfile.Profile()
        profiler.enable()
        run = drive(lambda: InProcess(app), kiosk_start, "/thanks", 1, surveys, seed=1)
        profiler.disable()
        db.engine(app).dispose()
    print(f"{run.surveys} surveys in {run.elapsed:.2f} s (profiled, so slower than unprofiled)")
    stats = pstats.Stats(profiler)
    by_package: dict[str, float] = {}
    for (filename, _line, name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():
        by_package[_package(filename, name)] = by_package.get(_package(filename, name), 0) + tottime
    total = sum(by_package.values())
    print("\nown time by package:")
    for package, seconds in sorted(by_package.items(), key=lambda kv: -kv[1])[:20]:
        print(
            f"  {package:<32} {seconds * 1000 / run.surveys:7.2f} ms/survey {seconds / total:6.1%}"
        )
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(order).print_stats(30)
        print(out.getvalue())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_SURVEYS} surveys per run")
    parser.add_argument("--surveys", type=int, help=f"surveys per run (default {SURVEYS})")
    parser.add_argument("--tablets", type=int, default=TABLETS, help="client threads over HTTP")
    parser.add_argument("--no-waitress", action="store_true", help="skip the waitress runs")
    parser.add_argument("--profile", action="store_true", help="cProfile the in-process kiosk")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    surveys = args.surveys or (QUICK_SURVEYS if args.quick else SURVEYS)
    exit_on_sigterm()
    if args.profile:
        profile(surveys, args.tablets)
        return 0

    print(f"kiosk benchmark: {machine()}; {load()}")
    if os.getloadavg()[0] > 1:
        print("warning: the machine is busy with other work; the numbers will be skewed")
    print(
        f"{surveys} surveys of {len(CODES)} taps per run; HTTP: {args.tablets} tablets, "
        f"gunicorn {GUNICORN_WORKERS} sync workers, waitress {WAITRESS_THREADS} threads",
        flush=True,
    )
    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="sipas-bench-kiosk-"))
    tablets = args.tablets
    # (folder, label, kiosk server, bare server, tablets, surveys, think time, keep memory)
    few = max(surveys // 3, 10)
    http_settings = [
        ("g1", "gunicorn 2w, 1 tablet", gunicorn_kiosk, gunicorn_bare, 1, few, None, False),
        ("gp", f"gunicorn 2w, {tablets} tablets paced", gunicorn_kiosk, gunicorn_bare)
        + (tablets, few, THINK, False),
        ("g", f"gunicorn 2w, {tablets} tablets", gunicorn_kiosk, gunicorn_bare)
        + (tablets, surveys, None, True),
    ]
    if not args.no_waitress:
        http_settings.append(
            ("w", f"kiosk run 8t, {tablets} tablets", waitress_kiosk, waitress_bare)
            + (tablets, surveys, None, True)
        )
    pairs: list[Pair] = []
    memory: list[Memory] = []

    def done(what: str) -> None:
        print(f"  {what} done ({time.perf_counter() - started:.0f} s)", flush=True)

    try:
        ws = Workspace(tmp, tablets)
        pairs.append(in_process(ws, surveys))
        done("in-process")
        for name, label, kiosk_argv, bare_argv, n, count, think, keep in http_settings:
            seen = memory if keep else []
            pairs.append(http_pair(ws, name, label, kiosk_argv, bare_argv, n, count, seen, think))
            done(label)
        pandas = kiosk_imports_pandas()
        pages = page_weights(ws)
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print()
    print(report(pairs, memory, pandas, pages))
    print()
    print(
        "tap: the POST that commits one answer (kiosk) or one JSON row (bare); screen: GET the "
        "screen + POST its answer.\nper s: taps/s on tap rows, completed responses (surveys)/s on "
        "screen rows. p99/base, rate/base: kiosk / bare in the same setting.\n"
        f"total {time.perf_counter() - started:.0f} s; at the end: {load()}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
