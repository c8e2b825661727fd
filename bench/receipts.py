"""Receipt codes and the phone survey over HTTP, beside a bare baseline.

1. `POST /api/v1/receipts` to the collector under gunicorn (2 sync workers) on SQLite
   (synchronous FULL) and on PostgreSQL, from several client threads, each receipt a new dossier:
   receipts issued per second. Each reply carries the links to the QR images (drawn when
   fetched), not the images.
2. The baseline: a bare Flask app under the same gunicorn doing what a receipt needs at the least,
   an HMAC of the dossier code and one durable INSERT per request, on the same database kinds.
3. Dossier status events: `POST /api/v1/dossier-events` to the same collector, batches of events
   (a "received" and a "settled" event per new dossier, named by its dossier code), events
   accepted per second, beside the same bare app doing what an event needs at the least (an HMAC
   of the dossier code and one INSERT per event, one transaction per request), and beside the
   receipts' own rate.
4. The phone survey on SQLite: every screen of a receipt's survey read (GET) and answered (POST),
   p50/p99 per screen, and the weight of each page (HTML with its inline CSS; nothing else loads).

Run: `.venv/bin/python bench/receipts.py [--receipts N] [--events N] [--batch N] [--clients N]
[--surveys N] [--pg URL]`.
Bounded in count; servers listen on loopback only and are stopped on the way out.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:] = [str(ROOT)] + [p for p in sys.path if p and Path(p).resolve() != HERE] + [str(HERE)]

import requests  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from _common import (  # noqa: E402
    Samples,
    exit_on_sigterm,
    fmt,
    free_port,
    load,
    machine,
    run_threads,
    server,
    split,
    table,
)

PYTHON = sys.executable
GUNICORN = str(Path(PYTHON).with_name("gunicorn"))
WORKERS = 2
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"

BASELINE_APP = """
import hashlib, hmac, os, json
import sqlalchemy as sa
from flask import Flask, request, jsonify
from shared.db import make_engine

engine = make_engine(os.environ["BENCH_URL"], sqlite_synchronous="FULL")
KEY = b"bench-key"
app = Flask(__name__)

@app.post("/receipts")
def receipts():
    body = json.loads(request.get_data())
    digest = hmac.new(KEY, body["dossier"].encode(), hashlib.sha256).hexdigest()
    with engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO bench_receipts (dossier_hmac) VALUES (:d)"), {"d": digest}
        )
    return jsonify({"token": digest[:19]}), 201

@app.post("/dossier-events")
def events():
    body = json.loads(request.get_data())
    rows = [
        {
            "d": hmac.new(KEY, f"{e['unit']}\\n{e['dossier']}".encode(), "sha256").hexdigest(),
            "e": e["id"], "k": e["kind"], "a": e["at"],
        }
        for e in body["events"]
    ]
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO bench_events (dossier_hmac, event_id, kind, at)"
                " VALUES (:d, :e, :k, :a)"
            ),
            rows,
        )
    return jsonify({"results": [{"id": r["e"], "status": "accepted"} for r in rows]})
"""


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def sipas(env: dict[str, str], *args: str) -> str:
    out = subprocess.run(
        [PYTHON, "-m", "sipas.cli", *args], env=env, cwd=ROOT, capture_output=True, text=True
    )
    if out.returncode:
        raise RuntimeError(out.stderr)
    return out.stdout


def gunicorn(app: str, env: dict[str, str], log_path: Path):
    port = free_port()
    argv = [GUNICORN, "-w", str(WORKERS), "-b", f"127.0.0.1:{port}", "--log-level", "warning"]
    return server([*argv, app], port=port, log=log_path, env=env, cwd=ROOT)


def post_receipts(base: str, path: str, token: str, total: int, clients: int, tag: str):
    samples = Samples()
    errors: list[str] = []

    def client(n: int) -> None:
        session = requests.Session()
        headers = {"Authorization": f"Bearer {token}"}
        for i in range(split(total, clients)[n]):
            seq = n * 10000 + i
            body = {
                "dossier": f"000.00.{tag}.H40-260302-{seq % 10000:04d}".replace(
                    "H40", f"H{n:02d}{i // 10000}"
                ),
                "unit": "O01",
                "procedure": "1.004227",
            }
            start = time.perf_counter()
            reply = session.post(base + path, json=body, headers=headers, timeout=60)
            samples.add(time.perf_counter() - start)
            if reply.status_code != 201:
                errors.append(f"{reply.status_code} {reply.text[:200]}")

    wall = run_threads(clients, client)
    if errors:
        raise RuntimeError(f"{len(errors)} failed, e.g. {errors[0]}")
    return total / wall, samples


def post_events(
    base: str, path: str, token: str, total: int, clients: int, batch: int, tag: str
) -> tuple[float, Samples]:
    """`total` events (a received and a settled event per new dossier) in batches of `batch`;
    returns the events accepted per second and the request times."""
    samples = Samples()
    errors: list[str] = []

    def client(n: int) -> None:
        session = requests.Session()
        headers = {"Authorization": f"Bearer {token}"}
        dossiers = split(total, clients)[n] // 2
        events = []
        for i in range(dossiers):
            code = f"000.00.{tag}.E{n:02d}{i // 10000}-260302-{i % 10000:04d}"
            common = {"dossier": code, "unit": "O01"}
            events.append(
                {
                    "id": f"{tag}-{n}-{i}-r",
                    "kind": "received",
                    "at": "2026-03-02T08:00:00+07:00",
                    **common,
                }
            )
            events.append(
                {
                    "id": f"{tag}-{n}-{i}-s",
                    "kind": "settled",
                    "at": "2026-03-04T15:00:00+07:00",
                    "due_date": "2026-03-05",
                    **common,
                }
            )
        for first in range(0, len(events), batch):
            body = {"events": events[first : first + batch]}
            start = time.perf_counter()
            reply = session.post(base + path, json=body, headers=headers, timeout=120)
            samples.add(time.perf_counter() - start)
            if reply.status_code != 200:
                errors.append(f"{reply.status_code} {reply.text[:200]}")
            elif any(r["status"] != "accepted" for r in reply.json()["results"]):
                errors.append(str(reply.json()["results"][:2]))

    wall = run_threads(clients, client)
    if errors:
        raise RuntimeError(f"{len(errors)} failed, e.g. {errors[0]}")
    return (total // clients // 2 * 2 * clients) / wall, samples


def make_db(kind: str, pg: str | None, work: Path, name: str) -> tuple[str, callable]:
    if kind == "sqlite":
        return f"sqlite:///{work / (name + '.sqlite')}", lambda: None
    admin = sa.create_engine(pg, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    db = f"bench_receipts_{name}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {db}")

    def drop():
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
        admin.dispose()

    return sa.engine.make_url(pg).set(database=db).render_as_string(hide_password=False), drop


def collector_env(work: Path, url: str, base: str = "") -> dict[str, str]:
    return {
        **os.environ,
        "SIPAS_COLLECTOR_INSTANCE_PATH": str(work / "instance"),
        "SIPAS_COLLECTOR_DATABASE_URL": url,
        "SIPAS_COLLECTOR_SECRET_KEY": "bench-secret-key",
        "SIPAS_COLLECTOR_PUBLIC_URL": base or "https://sipas.example.gov.vn",
        "SIPAS_COLLECTOR_PHONE_RATE_LIMIT": "1000000 per hour",
    }


def set_up_collector(env: dict[str, str]) -> str:
    sipas(env, "collector", "db", "upgrade")
    sipas(env, "collector", "units", "add", "C01", "Xã Một", "--kind", "commune")
    sipas(
        env,
        "collector",
        "units",
        "add",
        "O01",
        "Một cửa",
        "--parent",
        "C01",
        "--kind",
        "one-stop-centre",
    )
    return (
        sipas(env, "collector", "integrations", "create", "--unit", "C01").strip().splitlines()[-1]
    )


def bench_issue(
    kind: str, pg: str | None, work: Path, total: int, clients: int, events: int, batch: int
) -> dict:
    url, drop = make_db(kind, pg, work / kind, "collector")
    try:
        env = collector_env(work / kind, url)
        token = set_up_collector(env)
        with gunicorn("collector:create_app()", env, work / kind / "gunicorn.log") as srv:
            post_receipts(srv.base, "/api/v1/receipts", token, 20, 2, "99")  # warm-up
            rate, samples = post_receipts(srv.base, "/api/v1/receipts", token, total, clients, "12")
            post_events(srv.base, "/api/v1/dossier-events", token, 40, 2, batch, "98")
            event_rate, event_samples = post_events(
                srv.base, "/api/v1/dossier-events", token, events, clients, batch, "13"
            )
    finally:
        drop()
    burl, bdrop = make_db(kind, pg, work / kind, "baseline")
    try:
        engine = sa.create_engine(burl)
        with engine.begin() as conn:
            conn.exec_driver_sql(
                "CREATE TABLE bench_receipts (id INTEGER PRIMARY KEY"
                + (" AUTOINCREMENT" if kind == "sqlite" else " GENERATED ALWAYS AS IDENTITY")
                + ", dossier_hmac VARCHAR(64) NOT NULL UNIQUE)"
            )
            conn.exec_driver_sql(
                "CREATE TABLE bench_events (id INTEGER PRIMARY KEY"
                + (" AUTOINCREMENT" if kind == "sqlite" else " GENERATED ALWAYS AS IDENTITY")
                + ", dossier_hmac VARCHAR(64) NOT NULL, event_id VARCHAR(64) NOT NULL,"
                " kind VARCHAR(16) NOT NULL, at VARCHAR(40) NOT NULL,"
                " UNIQUE (dossier_hmac, event_id))"
            )
            if kind == "sqlite":
                conn.exec_driver_sql("PRAGMA journal_mode=WAL")
        engine.dispose()
        (work / kind / "bench_baseline.py").write_text(BASELINE_APP)
        env = {**os.environ, "BENCH_URL": burl, "PYTHONPATH": f"{work / kind}:{ROOT}"}
        with gunicorn("bench_baseline:app", env, work / kind / "baseline.log") as srv:
            post_receipts(srv.base, "/receipts", "x", 20, 2, "99")
            base_rate, base_samples = post_receipts(
                srv.base, "/receipts", "x", total, clients, "12"
            )
            post_events(srv.base, "/dossier-events", "x", 40, 2, batch, "98")
            base_event_rate, base_event_samples = post_events(
                srv.base, "/dossier-events", "x", events, clients, batch, "13"
            )
    finally:
        bdrop()
    return {
        "kind": kind,
        "rate": rate,
        "p50": samples.ms(50),
        "p99": samples.ms(99),
        "base_rate": base_rate,
        "base_p50": base_samples.ms(50),
        "base_p99": base_samples.ms(99),
        "event_rate": event_rate,
        "event_p50": event_samples.ms(50),
        "event_p99": event_samples.ms(99),
        "base_event_rate": base_event_rate,
    }


CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
ACTION = re.compile(r'<form method="post" action="([^"]+)"')
CODES = re.compile(r'type="radio" name="([A-Z][A-Z0-9_]*)"')


def bench_phone(work: Path, surveys: int) -> list[list[object]]:
    url, _ = make_db("sqlite", None, work / "phone", "collector")
    env = collector_env(work / "phone", url)
    token = set_up_collector(env)
    rows: dict[str, dict] = {}
    with gunicorn("collector:create_app()", env, work / "phone" / "gunicorn.log") as srv:
        issue = requests.Session()
        for n in range(surveys):
            body = {"dossier": f"H40-260302-{n:04d}", "unit": "O01"}
            reply = issue.post(
                srv.base + "/api/v1/receipts",
                json=body,
                headers={"Authorization": f"Bearer {token}"},
            )
            path = "/r/" + reply.json()["token"]
            phone = requests.Session()
            for step in range(12):
                start = time.perf_counter()
                page = phone.get(srv.base + path)
                got = time.perf_counter() - start
                html = page.text
                action = ACTION.search(html).group(1)
                name = "final" if action.endswith("/send") else f"screen {step + 1}"
                row = rows.setdefault(name, {"get": Samples(), "post": Samples(), "bytes": 0})
                row["get"].add(got)
                row["bytes"] = max(row["bytes"], len(page.content))
                form = {"csrf_token": CSRF.search(html).group(1), "next": "1"}
                for code in dict.fromkeys(CODES.findall(html)):
                    form[code] = "4"
                start = time.perf_counter()
                sent = phone.post(srv.base + action, data=form, allow_redirects=False)
                row["post"].add(time.perf_counter() - start)
                assert sent.status_code == 303, sent.status_code
                if name == "final":
                    thanks = phone.get(srv.base + sent.headers["Location"])
                    t = rows.setdefault("thanks", {"get": Samples(), "post": Samples(), "bytes": 0})
                    t["bytes"] = len(thanks.content)
                    break
    return [
        [
            name,
            fmt(r["get"].ms(50)),
            fmt(r["get"].ms(99)),
            fmt(r["post"].ms(50)) if len(r["post"]) else "-",
            fmt(r["post"].ms(99)) if len(r["post"]) else "-",
            f"{r['bytes'] / 1024:.1f}",
        ]
        for name, r in rows.items()
    ]


def uptime() -> str:
    """`uptime` as printed by the system: other work on the machine skews every figure."""
    out = subprocess.run(["uptime"], capture_output=True, text=True, check=False)
    return out.stdout.strip() or load()


def main() -> None:
    exit_on_sigterm()
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--receipts", type=int, default=400)
    parser.add_argument("--events", type=int, default=4000)
    parser.add_argument("--batch", type=int, default=100, help="events per request")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--surveys", type=int, default=30)
    parser.add_argument("--pg", default=os.environ.get("SIPAS_BENCH_POSTGRES_URL", DEFAULT_PG))
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument("--quick", action="store_true", help="60 receipts, 5 surveys")
    args = parser.parse_args()
    if args.quick:
        args.receipts, args.surveys, args.events = 60, 5, 400
    log(f"uptime at start: {uptime()}")
    with tempfile.TemporaryDirectory(prefix="sipas-bench-receipts-") as tmp:
        work = Path(tmp)
        for sub in ("sqlite", "postgresql", "phone"):
            (work / sub).mkdir()
        results = []
        for kind in ("sqlite", "postgresql"):
            if kind == "postgresql" and args.no_pg:
                continue
            log(f"{kind}: {args.receipts} receipts from {args.clients} clients")
            results.append(
                bench_issue(
                    kind, args.pg, work, args.receipts, args.clients, args.events, args.batch
                )
            )
        log(f"phone survey: {args.surveys} surveys")
        phone = bench_phone(work, args.surveys)
    log(f"uptime at end: {uptime()}")
    print(f"Machine: {machine()}; {load()}")
    print(
        f"\nPOST /api/v1/receipts, gunicorn {WORKERS} sync workers, {args.clients} client threads, "
        f"{args.receipts} receipts (each reply with the links to the QR images)\n"
    )
    print(
        table(
            [
                "database",
                "receipts/s",
                "p50 ms",
                "p99 ms",
                "baseline/s",
                "baseline p50 ms",
                "baseline p99 ms",
                "slower than baseline",
            ],
            [
                [
                    r["kind"],
                    fmt(r["rate"]),
                    fmt(r["p50"]),
                    fmt(r["p99"]),
                    fmt(r["base_rate"]),
                    fmt(r["base_p50"]),
                    fmt(r["base_p99"]),
                    f"{r['base_rate'] / r['rate']:.1f}x",
                ]
                for r in results
            ],
            right={1, 2, 3, 4, 5, 6, 7},
        )
    )
    print(
        f"\nPOST /api/v1/dossier-events, {args.events} events in batches of {args.batch} "
        f"(a received and a settled event per new dossier, by dossier code), {args.clients} "
        "client threads; goal: at least 5x the receipts' rate, within 3x of the baseline\n"
    )
    print(
        table(
            [
                "database",
                "events/s",
                "request p50 ms",
                "request p99 ms",
                "baseline events/s",
                "slower than baseline",
                "x receipts/s",
            ],
            [
                [
                    r["kind"],
                    fmt(r["event_rate"]),
                    fmt(r["event_p50"]),
                    fmt(r["event_p99"]),
                    fmt(r["base_event_rate"]),
                    f"{r['base_event_rate'] / r['event_rate']:.1f}x",
                    f"{r['event_rate'] / r['rate']:.1f}x",
                ]
                for r in results
            ],
            right={1, 2, 3, 4, 5, 6},
        )
    )
    print(f"\nPhone survey on SQLite, one phone at a time, {args.surveys} surveys\n")
    print(
        table(
            ["page", "GET p50 ms", "GET p99 ms", "POST p50 ms", "POST p99 ms", "KB (HTML+CSS)"],
            phone,
            right={1, 2, 3, 4, 5},
        )
    )


if __name__ == "__main__":
    main()
