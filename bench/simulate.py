"""A province's day, time compressed (not a test): `.venv/bin/python bench/simulate.py [--quick]`.

Many kiosk processes, each driving several simulated kiosks the way `kiosk.worker` does (an
outbox of hash-chained responses sent in batches of at most 200 whenever it is not empty, and a
heartbeat with the outbox's length), against one collector instance and then two, each under
`gunicorn -w 2 'collector:create_app()'` on one PostgreSQL database (a fresh one per run, dropped
at the end). Kiosk k talks to instance k mod n: what nginx's round robin does, without a proxy
process taking CPU from the collectors on this small machine.

An office day (07:30-11:30 and 13:30-17:00, local time) lasts `--day-seconds` of real time.
Citizens arrive at each kiosk at random (exponential gaps) with a peak at opening time in the
morning and after lunch; each rates once (the short admin questionnaire, 6 answers). Kiosks sync
every `--sync-minutes` of simulated time and send a heartbeat every `--heartbeat-minutes`. After the
day, kiosks keep syncing until their outbox is empty.

Reported per run: ratings made and stored (every one must be stored once), requests per second,
the kiosk's sync and heartbeat latency (p50/p99), the largest outbox seen, the delay from a rating
to its acceptance in simulated minutes (p99), and how long the outboxes took to empty after the
day. "Real-time equivalent" scales the simulated kiosks by the compression: the load the
collector carried, expressed in real kiosks keeping real office hours.

Options: `--quick` (fewer kiosks, shorter day), `--kiosks N`, `--processes N`,
`--day-seconds S`,
`--ratings-per-day N` (per kiosk), `--sync-minutes M`, `--heartbeat-minutes M`, `--postgres-url`
(an admin URL; default $SIPAS_BENCH_POSTGRES_URL or postgresql+psycopg://postgres@127.0.0.1:5432/
postgres), `--base-port P` (default 18510).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:] = [str(ROOT)] + [p for p in sys.path if p and Path(p).resolve() != HERE] + [str(HERE)]

import requests  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from _common import exit_on_sigterm, load, machine, percentile, server, table  # noqa: E402

from shared import questionnaires  # noqa: E402
from shared.chain import GENESIS, response_hash  # noqa: E402
from shared.db import uuid7  # noqa: E402

PYTHON = sys.executable
GUNICORN = str(Path(PYTHON).with_name("gunicorn"))
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
ZONE = dt.timezone(dt.timedelta(hours=7))  # Asia/Ho_Chi_Minh has no summer time
#: Opening periods of a day, in minutes after midnight.
PERIODS = ((7 * 60 + 30, 11 * 60 + 30), (13 * 60 + 30, 17 * 60))
DAY_START, DAY_END = PERIODS[0][0], PERIODS[-1][1]
OPEN_MINUTES = sum(b - a for a, b in PERIODS)
BATCH = 200


def arrival_weight(minute: float) -> float:
    """Relative arrival rate at a minute of the day: 0 when closed, a peak in the first 90
    minutes of each period (three times the rate of its last hour)."""
    for start, end in PERIODS:
        if start <= minute < end:
            return 2.0 if minute - start < 90 else (1.0 if end - minute > 60 else 0.67)
    return 0.0


# -- one kiosk process ---------------------------------------------------------------------------


class SimKiosk:
    def __init__(self, spec: dict, day: dt.date, rng: random.Random, q):
        self.token, self.unit, self.base = spec["token"], spec["unit"], spec["base"]
        self.day, self.rng, self.q = day, rng, q
        self.seq, self.prev = 0, GENESIS
        self.outbox: list[tuple[float, dict]] = []  # (real time made, response)
        self.made = self.accepted = self.heartbeats = self.errors = 0
        self.max_outbox = 0
        self.sync_ms: list[float] = []
        self.beat_ms: list[float] = []
        self.delay_s: list[float] = []
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {self.token}"

    def arrivals(self, per_day: float) -> list[float]:
        """The day's arrival minutes: a Poisson process with the rate of `arrival_weight`,
        `per_day` on average (drawn at the peak rate, each kept with its share of it)."""
        mean = sum(arrival_weight(m + 0.5) for m in range(DAY_START, DAY_END)) / OPEN_MINUTES
        peak = per_day / OPEN_MINUTES * 2.0 / mean
        found, minute = [], float(DAY_START)
        while True:
            minute += self.rng.expovariate(peak)
            if minute >= DAY_END:
                return found
            if self.rng.random() * 2.0 < arrival_weight(minute):
                found.append(minute)

    def make(self, minute: float) -> None:
        self.seq += 1
        moment = dt.datetime.combine(self.day, dt.time(), ZONE) + dt.timedelta(minutes=minute)
        answers = {
            item.code: self.rng.choices((5, 4, 3, 2, 1, 0), (40, 38, 12, 5, 3, 2))[0]
            for item in self.q.questions
        }
        response = {
            "id": str(uuid7()),
            "kiosk_seq": self.seq,
            "questionnaire": "admin",
            "questionnaire_version": self.q.version,
            "unit": self.unit,
            "counter": "1",
            "channel": "kiosk",
            "started_at": (moment - dt.timedelta(seconds=40)).isoformat(timespec="seconds"),
            "submitted_at": moment.isoformat(timespec="seconds"),
            "complete": True,
            "answers": answers,
            "reasons": [],
            "flags": [],
            "prev_hash": self.prev,
        }
        response["hash"] = response_hash(response, self.prev)
        self.prev = response["hash"]
        self.outbox.append((time.monotonic(), response))
        self.made += 1
        self.max_outbox = max(self.max_outbox, len(self.outbox))

    def sync(self) -> None:
        while self.outbox:
            batch = self.outbox[:BATCH]
            started = time.monotonic()
            try:
                reply = self.http.post(
                    self.base + "/api/v1/responses",
                    json={"responses": [r for _, r in batch]},
                    timeout=60,
                )
            except requests.RequestException:
                self.errors += 1
                return
            done = time.monotonic()
            self.sync_ms.append((done - started) * 1000)
            if reply.status_code != 200:
                self.errors += 1
                return
            results = reply.json()["results"]
            ok = sum(r["status"] in ("accepted", "duplicate") for r in results)
            if ok != len(batch):
                self.errors += 1
                return
            self.accepted += ok
            self.delay_s.extend(done - made for made, _ in batch)
            del self.outbox[: len(batch)]

    def heartbeat(self) -> None:
        started = time.monotonic()
        try:
            reply = self.http.post(
                self.base + "/api/v1/heartbeat",
                json={
                    "kiosk_version": "sim",
                    "queue_length": len(self.outbox),
                    "last_seq": self.seq,
                    "clock": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                },
                timeout=60,
            )
            ok = reply.status_code == 200
        except requests.RequestException:
            ok = False
        self.beat_ms.append((time.monotonic() - started) * 1000)
        self.heartbeats += ok
        self.errors += not ok


def kiosk_process(job: dict) -> dict:
    """Drive the kiosks of `job` through one compressed day; returns their figures."""
    q = questionnaires.current("admin", "short")
    day = dt.date.fromisoformat(job["day"])
    kiosks = [
        SimKiosk(spec, day, random.Random(job["seed"] * 1000 + n), q)  # noqa: S311 - simulation
        for n, spec in enumerate(job["kiosks"])
    ]
    minutes_per_s = (DAY_END - DAY_START) / job["day_seconds"]
    sync_every = job["sync_minutes"] / minutes_per_s
    beat_every = job["heartbeat_minutes"] / minutes_per_s
    start = job["start_at"]
    while time.time() < start:
        time.sleep(0.01)
    t0 = time.monotonic()

    def run(kiosk: SimKiosk, offset: float) -> None:
        due = kiosk.arrivals(job["per_day"])
        next_sync, next_beat = offset * sync_every, offset * beat_every
        while True:
            elapsed = time.monotonic() - t0
            minute = DAY_START + elapsed * minutes_per_s
            if minute >= DAY_END and not kiosk.outbox and not due:
                return
            if elapsed > job["day_seconds"] + job["drain_seconds"]:
                return
            while due and due[0] <= minute:
                kiosk.make(due.pop(0))
            if elapsed >= next_sync:
                kiosk.sync()
                next_sync = elapsed + sync_every
            if elapsed >= next_beat and minute < DAY_END:
                kiosk.heartbeat()
                next_beat = elapsed + beat_every
            wake = min(next_sync, next_beat if minute < DAY_END else next_sync)
            time.sleep(max(0.005, wake - (time.monotonic() - t0)))

    threads = [
        threading.Thread(target=run, args=(k, n / max(1, len(kiosks))))
        for n, k in enumerate(kiosks)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {
        "made": sum(k.made for k in kiosks),
        "accepted": sum(k.accepted for k in kiosks),
        "heartbeats": sum(k.heartbeats for k in kiosks),
        "errors": sum(k.errors for k in kiosks),
        "left": sum(len(k.outbox) for k in kiosks),
        "max_outbox": max((k.max_outbox for k in kiosks), default=0),
        "sync_ms": [v for k in kiosks for v in k.sync_ms],
        "beat_ms": [v for k in kiosks for v in k.beat_ms],
        "delay_s": [v for k in kiosks for v in k.delay_s],
        "drained_at": time.monotonic() - t0,
        "syncs": sum(len(k.sync_ms) for k in kiosks),
    }


# -- the run -------------------------------------------------------------------------------------


def set_up(db_url: str, kiosks: int) -> list[tuple[str, str]]:
    """Migrate, add a province with one commune office per kiosk, register the kiosks."""
    from collector import create_app
    from collector.db import get_db, get_session
    from collector.fleet.kiosks import register_kiosk
    from collector.migrate import upgrade
    from collector.units import add_unit

    upgrade(db_url)
    app = create_app({"TESTING": True, "DATABASE_URL": db_url, "INSTANCE_PATH": tempfile.mkdtemp()})
    made = []
    with app.app_context():
        session = get_session()
        add_unit(session, "SIM", "Tỉnh mô phỏng", "province")
        for n in range(kiosks):
            code = f"SIM.{n:04d}"
            add_unit(session, code, f"Bộ phận Một cửa xã {n}", "one-stop-centre", "SIM")
            _kiosk, token = register_kiosk(session, code, "Quầy 1")
            made.append((code, token))
        session.commit()
    get_db(app).dispose()
    return made


def run_once(args, admin: sa.Engine, pg_url: sa.URL, instances: int, workdir: Path) -> dict:
    name = f"sipas_sim_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    db_url = pg_url.set(database=name).render_as_string(hide_password=False)
    try:
        kiosks = set_up(db_url, args.kiosks)
        env = {
            "SIPAS_COLLECTOR_DATABASE_URL": db_url,
            "SIPAS_COLLECTOR_SECRET_KEY": "simulation-secret",
            "SIPAS_COLLECTOR_INSTANCE_PATH": str(workdir / "instance"),
        }
        ports = [args.base_port + n for n in range(instances)]
        with contextlib.ExitStack() as stack:
            for port in ports:
                stack.enter_context(
                    server(
                        [GUNICORN, "-w", "2", "-b", f"127.0.0.1:{port}", "collector:create_app()"],
                        port=port,
                        log=workdir / f"gunicorn-{port}.log",
                        env=env,
                        cwd=ROOT,
                    )
                )
            result = drive(args, kiosks, ports)
        engine = sa.create_engine(db_url, poolclass=sa.NullPool)
        with engine.connect() as conn:
            result["stored"] = conn.exec_driver_sql("SELECT count(*) FROM responses").scalar()
            result["distinct"] = conn.exec_driver_sql(
                "SELECT count(DISTINCT uuid) FROM responses"
            ).scalar()
        engine.dispose()
        result["instances"] = instances
        return result
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def drive(args, kiosks: list[tuple[str, str]], ports: list[int]) -> dict:
    day = (dt.datetime.now(ZONE) - dt.timedelta(days=1)).date().isoformat()
    start_at = time.time() + 10  # time for the processes to import and connect
    jobs = []
    for p in range(args.processes):
        mine = [
            {"unit": code, "token": token, "base": f"http://127.0.0.1:{ports[k % len(ports)]}"}
            for k, (code, token) in enumerate(kiosks)
            if k % args.processes == p
        ]
        jobs.append(
            {
                "kiosks": mine,
                "day": day,
                "seed": p,
                "start_at": start_at,
                "day_seconds": args.day_seconds,
                "drain_seconds": args.drain_seconds,
                "per_day": args.ratings_per_day,
                "sync_minutes": args.sync_minutes,
                "heartbeat_minutes": args.heartbeat_minutes,
            }
        )
    procs = [
        subprocess.Popen(
            [PYTHON, __file__, "--kiosk-process"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in jobs
    ]
    # Hand every process its job before waiting for any: they all start at `start_at`.
    for proc, job in zip(procs, jobs, strict=True):
        proc.stdin.write(json.dumps(job))
        proc.stdin.close()
    outputs = [proc.stdout.read() for proc in procs]
    for proc in procs:
        proc.wait()
    parts = [json.loads(o) for o in outputs]
    merged: dict = {k: 0 for k in ("made", "accepted", "heartbeats", "errors", "left", "syncs")}
    for part in parts:
        for key in merged:
            merged[key] += part[key]
    merged["max_outbox"] = max(p["max_outbox"] for p in parts)
    for key in ("sync_ms", "beat_ms", "delay_s"):
        merged[key] = [v for p in parts for v in p[key]]
    merged["drained_at"] = max(p["drained_at"] for p in parts)
    return merged


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kiosk-process", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--kiosks", type=int, default=48)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--day-seconds", type=float, default=60)
    parser.add_argument("--drain-seconds", type=float, default=60)
    parser.add_argument("--ratings-per-day", type=float, default=150)
    parser.add_argument("--sync-minutes", type=float, default=5)
    parser.add_argument("--heartbeat-minutes", type=float, default=10)
    parser.add_argument(
        "--postgres-url", default=os.environ.get("SIPAS_BENCH_POSTGRES_URL", DEFAULT_PG)
    )
    parser.add_argument("--base-port", type=int, default=18510)
    args = parser.parse_args()
    if args.kiosk_process:
        print(json.dumps(kiosk_process(json.load(sys.stdin))))
        return
    if args.quick:
        args.kiosks, args.processes, args.day_seconds = 24, 3, 30
    exit_on_sigterm()
    pg_url = sa.make_url(args.postgres_url)
    admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    compression = (DAY_END - DAY_START) * 60 / args.day_seconds
    print(machine(), "|", load())
    started = time.monotonic()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for instances in (1, 2):
            results.append(run_once(args, admin, pg_url, instances, Path(tmp)))
    admin.dispose()
    rows = []
    for r in results:
        wall = args.day_seconds
        requests_made = r["syncs"] + r["heartbeats"]
        # Held: every rating stored once, no failed request, the kiosks kept their heartbeat
        # schedule (90 %) and a rating reached the collector within three sync intervals (p99).
        scheduled = args.kiosks * (DAY_END - DAY_START) / args.heartbeat_minutes
        delay_min = percentile(r["delay_s"], 99) * compression / 60
        held = (
            r["stored"] == r["distinct"] == r["made"]
            and r["errors"] == 0
            and r["left"] == 0
            and r["heartbeats"] >= 0.9 * scheduled
            and delay_min <= 3 * args.sync_minutes
        )
        rows.append(
            [
                r["instances"],
                args.kiosks,
                f"{r['made']:,}",
                f"{r['stored']:,}",
                f"{r['heartbeats']:,} / {scheduled:,.0f}",
                f"{requests_made / wall:,.0f}",
                f"{percentile(r['sync_ms'], 50):.0f}",
                f"{percentile(r['sync_ms'], 99):.0f}",
                f"{percentile(r['beat_ms'], 99):.0f}",
                r["max_outbox"],
                f"{delay_min:.1f}",
                f"{max(0.0, r['drained_at'] - args.day_seconds):.1f}",
                f"{args.kiosks * compression:,.0f}",
                "yes" if held else "NO",
            ]
        )
    print(
        f"{args.kiosks} kiosks in {args.processes} processes, {args.ratings_per_day:g} ratings per "
        f"kiosk per office day, sync and heartbeat every {args.sync_minutes:g} / "
        f"{args.heartbeat_minutes:g} simulated minutes; an office day (07:30-17:00, "
        f"{OPEN_MINUTES / 60:g} open hours) in {args.day_seconds:g} s (x{compression:,.0f}); "
        "gunicorn -w 2 per instance, PostgreSQL; "
        f"whole run {time.monotonic() - started:.0f} s; {load()}"
    )
    print(
        table(
            [
                "instances",
                "kiosks",
                "ratings made",
                "stored",
                "heartbeats / scheduled",
                "requests/s",
                "p50 sync ms",
                "p99 sync ms",
                "p99 heartbeat ms",
                "max outbox",
                "p99 delay (sim min)",
                "drain after day s",
                "real-time equivalent kiosks",
                "held",
            ],
            rows,
            right=set(range(1, 13)),
        )
    )
    # Not holding is a result, not a failure; a lost or doubled rating is a failure.
    if any(r["stored"] != r["made"] or r["stored"] != r["distinct"] for r in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
