"""Collector ingest benchmark (not a test): `.venv/bin/python bench/ingest.py [--quick]`.

What it does, once on SQLite and once on PostgreSQL (a fresh database made and dropped here):

1. Generates realistic responses: the full admin, health and education questionnaires, 16-31
   answers each drawn 0-5 with the weights of published SIPAS results, reasons after low scores,
   a few comments and flags; several kiosks, each with a gap-free kiosk_seq and a valid hash chain
   (`shared.chain`), cut into batches of 200-500.
2. The bare baseline: the same rows (a `responses` row and one `answers` row per answer, the
   collector's own schema from its migrations) inserted with plain SQLAlchemy Core executemany
   into a fresh database, one transaction per batch, one connection, no HTTP and no validation.
   On PostgreSQL also a floor: the same rows by COPY into a second fresh database.
3. The collector under gunicorn (2 sync workers), set up with `sipas collector db upgrade`, `units
   import` and `kiosks register`: one client thread per kiosk posts its batches in order, all
   kiosks at once, on loopback. Every response must come back `accepted`, and the collector must
   then hold every response with no gap and no broken link.
4. A kiosk backlog (100,000 responses; `--quick`: 10,000) drained to that collector by the kiosk's
   own sender, `kiosk.worker.drain` (batches of 200, one after the other), from a kiosk made with
   `sipas kiosk init`. The first responses are taken with `kiosk.sample.take_sample_ratings`;
   that costs about 1 ms per response (ORM, several queries each), so the rest are built here
   faster: transient `kiosk.models.Response` objects encoded by the kiosk's own `kiosk.survey.wire`
   and chained with `shared.chain.response_hash` exactly as `close_response` does, then inserted
   with one Core executemany.

Prints one table (see docs/benchmarks.md, "Ingest"). Every server process is stopped and every
database dropped on the way out, also on error or Ctrl-C.

Options: `--quick` (smaller), `--only sqlite|postgresql`, `--postgres-url URL` (an admin URL;
default $SIPAS_BENCH_POSTGRES_URL or postgresql+psycopg://postgres@127.0.0.1:5432/postgres),
`--per-kiosk N` and `--backlog N` (sizes), `--profile` (the gunicorn workers profile the ingest
requests with cProfile; the summary follows the table), `--without-answers-fk` (what-if: the
answers -> responses foreign key dropped on PostgreSQL, in every database of the run).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import io
import json
import os
import platform
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# `python bench/ingest.py` puts bench/ first on sys.path, where bench/kiosk.py would shadow the
# kiosk package: the repository goes first, bench/ (for _common) last.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if p and Path(p).resolve() != HERE] + [str(HERE)]

import requests  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from _common import (  # noqa: E402
    exit_on_sigterm,
    free_port,
    percentile,
    run_threads,
    stop_group,
    table,
)

from shared import questionnaires  # noqa: E402
from shared.chain import GENESIS, response_hash  # noqa: E402
from shared.db import make_engine, uuid7  # noqa: E402

PYTHON = sys.executable
SIPAS = [PYTHON, "-m", "sipas.cli"]
GUNICORN = str(Path(PYTHON).with_name("gunicorn"))
WORKERS = 2
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"

#: Answers 5, 4, 3, 2, 1, 0: mostly satisfied, as in published SIPAS results (kiosk.sample too).
VALUES = (5, 4, 3, 2, 1, 0)
WEIGHTS = (40, 38, 12, 5, 3, 2)
UNIT_KIND = {"admin": "one-stop", "health": "health-facility", "education": "school"}
COMMENTS = (
    "Cán bộ nhiệt tình, hướng dẫn rõ ràng.",
    "Phải chờ lâu, nên có thêm quầy vào buổi sáng.",
    "Thủ tục còn rườm rà, phải đi lại nhiều lần.",
    "Phòng chờ nóng, thiếu ghế ngồi.",
    "Rất hài lòng.",
)
PROVINCE = "01"
BACKLOG_UNIT = "01.BL.001"

TARGET_RATE = 5_000
TARGET_RATIO = 3.0
TARGET_DRAIN_S = 60.0


@dataclass(frozen=True)
class Size:
    kiosks: int
    per_kiosk: int
    backlog: int
    sampled: int  #: of the backlog, taken with take_sample_ratings
    #: Per kiosk, after its batches: responses sent one per request, as a kiosk sends them when
    #: its outbox keeps up (a sync every few seconds finds one response or none).
    singles: int


FULL = Size(kiosks=8, per_kiosk=7_500, backlog=100_000, sampled=2_000, singles=150)
QUICK = Size(kiosks=8, per_kiosk=1_000, backlog=10_000, sampled=500, singles=40)


# -- helpers --------------------------------------------------------------------------------------


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class Gunicorn:
    """`gunicorn -w 2 'collector:create_app()'` in its own process group."""

    def __init__(self, env: dict[str, str], logfile: Path, extra: list[str] | None = None):
        self.port = free_port()
        self.logfile = logfile
        argv = [GUNICORN, "-w", str(WORKERS), "-b", f"127.0.0.1:{self.port}"]
        argv += ["--log-level", "warning", *(extra or []), "collector:create_app()"]
        with open(logfile, "ab") as out:
            self.proc = subprocess.Popen(
                argv,
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.url = f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 30) -> None:
        """Until the server answers (the OpenAPI document needs no token)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.tail()}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{self.url}/api/v1/openapi.json", timeout=2).ok:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not answer within {timeout} s:\n{self.tail()}")

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.logfile.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        """SIGTERM (workers finish their request and exit), then SIGKILL the whole group."""
        stop_group(self.proc)


class Cleanup:
    """What to undo on the way out, last first: processes, databases, folders."""

    def __init__(self) -> None:
        self.steps: list[tuple[str, object]] = []

    def add(self, what: str, undo) -> None:
        self.steps.append((what, undo))

    def run(self) -> None:
        while self.steps:
            what, undo = self.steps.pop()
            try:
                undo()
            except Exception as exc:  # noqa: BLE001 - report and carry on cleaning
                log(f"clean-up of {what} failed: {exc}")


# -- PostgreSQL databases -------------------------------------------------------------------------


class Postgres:
    def __init__(self, admin_url: str):
        self.admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", pool_size=1)
        self.url = sa.engine.make_url(admin_url)
        with self.admin.connect() as conn:
            self.version = conn.exec_driver_sql("SHOW server_version").scalar()

    def create(self, name: str) -> str:
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        return self.url.set(database=name).render_as_string(hide_password=False)

    def drop(self, name: str) -> None:
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# -- generated responses --------------------------------------------------------------------------


@dataclass
class KioskStream:
    """One kiosk's responses, chained and cut into batches, with the request bodies ready."""

    index: int
    kind: str
    unit: str
    batches: list[list[dict]] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)
    #: The responses after the batches, one per request.
    single_batches: list[list[dict]] = field(default_factory=list)
    single_bodies: list[bytes] = field(default_factory=list)

    @property
    def count(self) -> int:
        """Responses in the batches (the singles come on top)."""
        return sum(len(b) for b in self.batches)

    def all_responses(self):
        return (r for b in self.batches + self.single_batches for r in b)


def _rfc3339(moment: dt.datetime) -> str:
    """As the kiosk sends times (kiosk.survey._rfc3339): UTC, microseconds, +00:00."""
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def generate(size: Size, seed: int = 1) -> list[KioskStream]:
    rng = random.Random(seed)  # noqa: S311 - sample data
    reasons = [r.code for r in questionnaires.common()[1]]
    streams = []
    end = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=1)
    for k in range(size.kiosks):
        kind = questionnaires.KINDS[k % len(questionnaires.KINDS)]
        q = questionnaires.current(kind, "full")
        codes = list(q.codes)
        stream = KioskStream(k, kind, f"{PROVINCE}.{kind[:3].upper()}.{k + 1:03d}")
        at = end - dt.timedelta(minutes=3 * size.per_kiosk)
        prev = GENESIS
        batch: list[dict] = []
        want = rng.randint(200, 500)
        for seq in range(1, size.per_kiosk + size.singles + 1):
            at += dt.timedelta(seconds=rng.randint(60, 300))
            count = rng.randint(16, min(31, len(codes)))
            chosen = set(rng.sample(codes, count))
            answers = {c: rng.choices(VALUES, WEIGHTS)[0] for c in codes if c in chosen}
            low = any(v in questionnaires.LOW for v in answers.values())
            response = {
                "id": str(uuid7()),
                "kiosk_seq": seq,
                "questionnaire": kind,
                "questionnaire_version": q.version,
                "unit": stream.unit,
                "counter": str(rng.randint(1, 4)),
                "channel": "kiosk",
                "started_at": _rfc3339(at - dt.timedelta(seconds=rng.randint(45, 400))),
                "submitted_at": _rfc3339(at),
                "complete": rng.random() < 0.92,
                "answers": answers,
                "reasons": sorted(rng.sample(reasons, rng.randint(1, 2))) if low else [],
                "flags": ["suspect-burst"] if rng.random() < 0.01 else [],
            }
            if rng.random() < 0.08:
                response["comment"] = rng.choice(COMMENTS)
            response["prev_hash"] = prev
            response["hash"] = prev = response_hash(response, prev)
            if seq > size.per_kiosk:
                stream.single_batches.append([response])
                stream.single_bodies.append(json.dumps({"responses": [response]}).encode())
                continue
            batch.append(response)
            if len(batch) == want or seq == size.per_kiosk:
                stream.batches.append(batch)
                stream.bodies.append(json.dumps({"responses": batch}).encode())
                batch, want = [], rng.randint(200, 500)
        streams.append(stream)
    return streams


# -- the bare baseline ----------------------------------------------------------------------------


@dataclass
class Result:
    setting: str
    responses: int
    seconds: float
    latencies: list[float]
    target: str = ""
    passed: bool | None = None
    #: The plain Core baseline and (PostgreSQL) the COPY floor this result compares with.
    baseline: Result | None = None
    floor: Result | None = None
    #: Of `seconds`, the time spent waiting for the collector's replies (the drain).
    waiting: float | None = None

    @property
    def rate(self) -> float:
        return self.responses / self.seconds if self.seconds else float("nan")

    @property
    def slowdown(self) -> float:
        """How many times longer than the plain Core baseline the same rows took."""
        return self.baseline.rate / self.rate if self.baseline else float("nan")

    def p_ms(self, p: float) -> float:
        return percentile(self.latencies, p) * 1000

    @property
    def p99_ms(self) -> float:
        return self.p_ms(99)


def _parse(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value).astimezone(dt.UTC)


#: One batch for the baselines: response rows without their key, and answers by response id.
Prepared = list[tuple[list[dict], dict[str, dict[str, int]]]]


def baseline_setup(url: str, streams: list[KioskStream], without_fk: bool) -> Prepared:
    """Migrate a fresh database, add the units and kiosks, and make the rows of every batch as the
    collector would store them (before any clock starts: the baselines time the database work)."""
    from collector.migrate import upgrade
    from collector.models import Kiosk, KioskChain, Unit

    upgrade(url)
    if without_fk:
        drop_answers_fk(url)
    engine = sa.create_engine(url)
    now = dt.datetime.now(dt.UTC)
    ids = {}
    with engine.begin() as conn:
        province = conn.execute(
            sa.insert(Unit.__table__).returning(Unit.id),
            {"code": PROVINCE, "name": "Thành phố Hà Nội", "kind": "province", "created_at": now},
        ).scalar_one()
        for s in streams:
            unit_id = conn.execute(
                sa.insert(Unit.__table__).returning(Unit.id),
                {
                    "code": s.unit,
                    "name": s.unit,
                    "kind": UNIT_KIND[s.kind],
                    "parent_id": province,
                    "created_at": now,
                },
            ).scalar_one()
            kiosk_id = conn.execute(
                sa.insert(Kiosk.__table__).returning(Kiosk.id),
                {
                    "unit_id": unit_id,
                    "label": "",
                    "token_hash": f"{s.index:064x}",
                    "created_at": now,
                },
            ).scalar_one()
            conn.execute(
                sa.insert(KioskChain.__table__),
                {"kiosk_id": kiosk_id, "gaps": [], "broken": [], "forks": []},
            )
            ids[s.index] = (unit_id, kiosk_id)
    engine.dispose()
    queues = []
    for s in streams:
        unit_id, kiosk_id = ids[s.index]
        queue = []
        for batch in s.batches:
            rows = [
                {
                    "uuid": uuid.UUID(r["id"]),
                    "kiosk_id": kiosk_id,
                    "kiosk_seq": r["kiosk_seq"],
                    "unit_id": unit_id,
                    "counter": r["counter"],
                    "channel": r["channel"],
                    "questionnaire": r["questionnaire"],
                    "questionnaire_version": r["questionnaire_version"],
                    "started_at": _parse(r["started_at"]),
                    "submitted_at": _parse(r["submitted_at"]),
                    "started_at_sent": r["started_at"],
                    "submitted_at_sent": r["submitted_at"],
                    "received_at": now,
                    "complete": r["complete"],
                    "answers": r["answers"],
                    "reasons": r["reasons"],
                    "comment": r.get("comment"),
                    "flags": r["flags"],
                    "prev_hash": r["prev_hash"],
                    "hash": r["hash"],
                    "chain_ok": True,
                }
                for r in batch
            ]
            queue.append((rows, {r["id"]: r["answers"] for r in batch}))
        queues.append(queue)
    # The kiosks' batches interleaved, as concurrent uploads arrive.
    return [q[n] for n in range(max(map(len, queues))) for q in queues if n < len(q)]


def baseline_core(url: str, prepared: Prepared) -> tuple[float, list[float]]:
    """Plain SQLAlchemy Core: an executemany INSERT ... RETURNING of the responses, then an
    executemany INSERT of their answers; one transaction per batch, one connection."""
    from collector.models import Answer, Response

    engine = make_engine(url)  # the collector's engine settings (SQLite: WAL, synchronous=FULL)
    responses, answers = Response.__table__, Answer.__table__
    insert_responses = sa.insert(responses).returning(responses.c.uuid, responses.c.id)
    insert_answers = sa.insert(answers)
    latencies = []
    start = time.perf_counter()
    for rows, by_id in prepared:
        t0 = time.perf_counter()
        with engine.begin() as conn:
            keys = conn.execute(insert_responses, rows).all()
            conn.execute(
                insert_answers,
                [
                    {"response_id": pk, "code": code, "value": value}
                    for rid, pk in keys
                    for code, value in by_id[str(rid)].items()
                ],
            )
        latencies.append(time.perf_counter() - t0)
    seconds = time.perf_counter() - start
    engine.dispose()
    return seconds, latencies


def baseline_copy(url: str, prepared: Prepared) -> tuple[float, list[float]]:
    """PostgreSQL's fastest way in: keys from the sequence, then COPY of the responses and COPY
    of their answers; one transaction per batch. A floor, not something a server can do as is
    (no duplicate handling)."""
    from collector.models import Response

    columns = [c.name for c in Response.__table__.columns]
    json_columns = {c.name for c in Response.__table__.columns if isinstance(c.type, sa.JSON)}
    copy_responses = f"COPY responses ({', '.join(columns)}) FROM STDIN"
    engine = sa.create_engine(url)
    latencies = []
    start = time.perf_counter()
    for rows, by_id in prepared:
        t0 = time.perf_counter()
        with engine.begin() as conn, conn.connection.driver_connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence('responses', 'id')) "
                "FROM generate_series(1, %s)",
                (len(rows),),
            )
            keys = [k for (k,) in cursor.fetchall()]
            with cursor.copy(copy_responses) as copy:
                for pk, row in zip(keys, rows, strict=True):
                    copy.write_row(
                        [
                            pk
                            if name == "id"
                            else json.dumps(row[name], ensure_ascii=False)
                            if name in json_columns
                            else row.get(name)
                            for name in columns
                        ]
                    )
            with cursor.copy("COPY answers (response_id, code, value) FROM STDIN") as copy:
                for pk, row in zip(keys, rows, strict=True):
                    for code, value in by_id[str(row["uuid"])].items():
                        copy.write_row((pk, code, value))
        latencies.append(time.perf_counter() - t0)
    seconds = time.perf_counter() - start
    engine.dispose()
    return seconds, latencies


def drop_answers_fk(url: str) -> None:
    """What-if (--without-answers-fk): drop the answers -> responses foreign key on PostgreSQL."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "ALTER TABLE answers DROP CONSTRAINT IF EXISTS fk_answers_response_id_responses"
        )
    engine.dispose()


def baselines(
    label: str, urls: list[str], streams: list[KioskStream], without_fk: bool
) -> list[Result]:
    """The plain Core baseline on a fresh database; on PostgreSQL also the COPY floor, on a
    second fresh database."""
    total = sum(s.count for s in streams)
    out = []
    prepared = baseline_setup(urls[0], streams, without_fk)
    seconds, latencies = baseline_core(urls[0], prepared)
    out.append(
        Result(f"{label}: bare, plain SQLAlchemy Core executemany", total, seconds, latencies)
    )
    if len(urls) > 1:
        prepared = baseline_setup(urls[1], streams, without_fk)
        seconds, latencies = baseline_copy(urls[1], prepared)
        out.append(Result(f"{label}: bare, COPY both tables (floor)", total, seconds, latencies))
    for r in out:
        log(f"{r.setting}: {r.rate:,.0f} responses/s")
    return out


# -- the collector --------------------------------------------------------------------------------


class Collector:
    """A collector instance folder and database, set up through the `sipas collector` commands."""

    def __init__(self, workdir: Path, url: str):
        self.workdir = workdir
        self.env = {
            **os.environ,
            "SIPAS_COLLECTOR_INSTANCE_PATH": str(workdir / "instance"),
            "SIPAS_COLLECTOR_DATABASE_URL": url,
            "PYTHONPATH": str(ROOT),
        }
        self.url = url
        self.app = None

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            [*SIPAS, "collector", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"sipas collector {' '.join(args)}: {done.stdout}{done.stderr}")
        return done.stdout

    def setup(self, streams: list[KioskStream]) -> dict[str, str]:
        """Migrate, import the units, register one kiosk per stream and one for the backlog;
        returns unit code -> token."""
        self.cli("db", "upgrade")
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["code", "name", "parent", "kind"])
        writer.writerow([PROVINCE, "Thành phố Hà Nội", "", "province"])
        for s in streams:
            writer.writerow([s.unit, f"Đơn vị {s.unit}", PROVINCE, UNIT_KIND[s.kind]])
        writer.writerow([BACKLOG_UNIT, "Bộ phận Một cửa (tồn đọng)", PROVINCE, "one-stop"])
        units_csv = self.workdir / "units.csv"
        units_csv.write_text(out.getvalue(), encoding="utf-8")
        self.cli("units", "import", str(units_csv))
        return {u: self.register(u) for u in [s.unit for s in streams] + [BACKLOG_UNIT]}

    def register(self, unit: str) -> str:
        """`sipas collector kiosks register --unit UNIT`, run in this process (the same click
        command, one app for all of them: a new process costs a second of imports each)."""
        from click.testing import CliRunner
        from flask.cli import ScriptInfo

        from collector import create_app
        from collector.cli import collector
        from collector.db import get_db

        if self.app is None:
            self.app = create_app(
                {
                    "DATABASE_URL": self.url,
                    "INSTANCE_PATH": self.env["SIPAS_COLLECTOR_INSTANCE_PATH"],
                }
            )
        done = CliRunner().invoke(
            collector,
            ["kiosks", "register", "--unit", unit],
            obj=ScriptInfo(create_app=lambda: self.app),
        )
        if done.exit_code != 0:
            raise RuntimeError(f"kiosks register --unit {unit}: {done.output}") from done.exception
        get_db(self.app).dispose()
        return done.output.split()[-1]

    def check(self, expected: dict[str, int], answers_expected: int) -> list[str]:
        """Problems found: per unit, responses held and the chain records of its kiosk; answer
        rows in all."""
        engine = sa.create_engine(self.url)
        problems = []
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT u.code, c.received, c.max_seq, c.gaps, c.broken, c.forks, "
                    "(SELECT count(*) FROM responses r WHERE r.kiosk_id = k.id) "
                    "FROM kiosks k JOIN units u ON u.id = k.unit_id "
                    "JOIN kiosk_chains c ON c.kiosk_id = k.id"
                )
            ).all()
            answers = conn.execute(sa.text("SELECT count(*) FROM answers")).scalar_one()
            broken_links = conn.execute(
                sa.text("SELECT count(*) FROM responses WHERE chain_ok IS NOT TRUE")
            ).scalar_one()
        engine.dispose()
        for code, received, max_seq, gaps, broken, forks, held in rows:
            want = expected.get(code, 0)
            gaps, broken, forks = (
                json.loads(x) if isinstance(x, str) else x for x in (gaps, broken, forks)
            )
            if not (received == max_seq == held == want) or gaps or broken or forks:
                problems.append(
                    f"{code}: held {held}, received {received}, max_seq {max_seq}, want {want}, "
                    f"gaps {gaps[:3]}, broken {broken[:3]}, forks {forks[:3]}"
                )
        if broken_links:
            problems.append(f"{broken_links} responses not linked (chain_ok is not true)")
        if answers != answers_expected:
            problems.append(f"{answers} answer rows, not {answers_expected}")
        return problems


def post_all(
    base: str, streams: list[KioskStream], tokens: dict[str, str], *, singles: bool = False
) -> tuple[float, list]:
    """One client thread per kiosk posts its batches (or its single responses) in order; all
    kiosks at once."""
    latencies: list[float] = []
    errors: list[str] = []
    barrier = threading.Barrier(len(streams))

    def client(stream: KioskStream) -> None:
        http = requests.Session()
        headers = {
            "Authorization": f"Bearer {tokens[stream.unit]}",
            "Content-Type": "application/json",
        }
        barrier.wait()
        if singles:
            work = zip(stream.single_bodies, stream.single_batches, strict=True)
        else:
            work = zip(stream.bodies, stream.batches, strict=True)
        for body, batch in work:
            reply = _timed_post(
                http,
                f"{base}/api/v1/responses",
                stream,
                latencies,
                errors,
                data=body,
                headers=headers,
                timeout=120,
            )
            if reply is None:
                return
            statuses = [r["status"] for r in reply.json()["results"]]
            if len(statuses) != len(batch) or set(statuses) != {"accepted"}:
                bad = [r for r in reply.json()["results"] if r["status"] != "accepted"][:2]
                errors.append(f"kiosk {stream.index}: not all accepted: {bad}")
                return

    return _run_clients(client, streams, errors), latencies


def _timed_post(http, url: str, stream: KioskStream, latencies: list, errors: list, **kwargs):
    """POST to `url`, its time added to `latencies`; the reply, or None (the HTTP error added to
    `errors`) unless it is 200."""
    t0 = time.perf_counter()
    reply = http.post(url, **kwargs)
    latencies.append(time.perf_counter() - t0)
    if reply.status_code != 200:
        errors.append(f"kiosk {stream.index}: HTTP {reply.status_code} {reply.text[:200]}")
        return None
    return reply


def _run_clients(client, streams: list[KioskStream], errors: list[str]) -> float:
    """Run `client(stream)` in one thread per kiosk (`_common.run_threads`); the seconds they
    took, or the first errors."""
    seconds = run_threads(len(streams), lambda n: client(streams[n]))
    if errors:
        raise RuntimeError("; ".join(errors[:4]))
    return seconds


def post_heartbeats(
    base: str, streams: list[KioskStream], tokens: dict[str, str], count: int
) -> tuple[float, list]:
    """`count` heartbeats per kiosk, one client thread per kiosk, all at once."""
    latencies: list[float] = []
    errors: list[str] = []
    barrier = threading.Barrier(len(streams))

    def client(stream: KioskStream) -> None:
        http = requests.Session()
        headers = {"Authorization": f"Bearer {tokens[stream.unit]}"}
        barrier.wait()
        for _ in range(count):
            body = {
                "kiosk_version": "sipas-kiosk/bench",
                "queue_length": 0,
                "last_seq": stream.count + len(stream.single_batches),
                "clock": dt.datetime.now(dt.UTC).isoformat(timespec="microseconds"),
            }
            reply = _timed_post(
                http,
                f"{base}/api/v1/heartbeat",
                stream,
                latencies,
                errors,
                json=body,
                headers=headers,
                timeout=60,
            )
            if reply is None:
                return

    return _run_clients(client, streams, errors), latencies


# -- the kiosk backlog ----------------------------------------------------------------------------

KIOSK_COUNTERS = [
    f"1:{BACKLOG_UNIT}:admin",
    f"2:{BACKLOG_UNIT}:admin,health",
    f"3:{BACKLOG_UNIT}:education",
]


def kiosk_init(instance: Path, collector_url: str = "", token: str = "") -> None:
    argv = [*SIPAS, "kiosk", "init", "--instance", str(instance), "--office", "Một cửa (bench)"]
    for c in KIOSK_COUNTERS:
        argv += ["--counter", c]
    argv += ["--pin", "246813", "--collector-url", collector_url, "--collector-token", token]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"sipas kiosk init: {done.stdout}{done.stderr}")


@dataclass
class Backlog:
    db: Path
    answers: int
    #: Seconds taken by take_sample_ratings (for size.sampled) and by the fast path (the rest).
    sampled_s: float
    fast_s: float


def build_backlog(instance: Path, size: Size) -> Backlog:
    """A kiosk made with `sipas kiosk init` whose outbox holds `size.backlog` closed responses;
    its database file alone (WAL folded in) is copied into each kiosk that drains it."""
    kiosk_init(instance)
    from kiosk import create_app, db
    from kiosk.models import COMPLETE, Response
    from kiosk.sample import WEIGHTS as KIOSK_WEIGHTS
    from kiosk.sample import take_sample_ratings
    from kiosk.survey import wire

    app = create_app(instance_path=str(instance))
    rest = size.backlog - size.sampled
    step = dt.timedelta(seconds=20)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=5)
    sample_end = now - step * (rest + 1)
    t0 = time.perf_counter()
    take_sample_ratings(app, size.sampled, seed=7, end=sample_end, every_minutes=1)
    sampled_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    rng = random.Random(8)  # noqa: S311 - sample data
    counters = list(app.extensions["kiosk_counters"].values())
    engine = db.engine(app)
    table_ = Response.__table__
    with app.app_context():
        session = db.session()
        last_seq, prev = session.execute(
            sa.select(Response.seq, Response.hash).order_by(Response.seq.desc()).limit(1)
        ).one()
        session.close()
    rows = []
    for n in range(rest):
        counter = counters[n % len(counters)]
        q = questionnaires.current(counter.kinds[n % len(counter.kinds)], "short")
        at = sample_end + step * (n + 1)
        # A transient kiosk Response closed as close_response closes it (status, seq, submitted_at,
        # prev_hash, hash over kiosk.survey.wire), without the ORM flush and queries per response.
        r = Response(
            id=uuid7(),
            seq=last_seq + n + 1,
            counter=counter.code,
            unit=counter.unit,
            kind=q.kind,
            questionnaire_version=q.version,
            status=COMPLETE,
            started_at=at - dt.timedelta(seconds=40),
            last_tap_at=at,
            submitted_at=at,
            answers={i.code: rng.choices(VALUES, KIOSK_WEIGHTS)[0] for i in q.questions},
            reasons=[],
            comment=None,
            flags=[],
            start_nonce=f"bench-{n}",
            prev_hash=prev,
        )
        r.hash = prev = response_hash(wire(r), prev)
        rows.append(
            {
                c.key: getattr(r, c.key)
                for c in table_.columns
                if c.key not in ("sent_at", "rejected_code", "rejected_message")
            }
        )
    with engine.begin() as conn:
        if rows:
            conn.execute(sa.insert(table_), rows)
        answers = conn.execute(
            sa.text("SELECT sum((SELECT count(*) FROM json_each(answers))) FROM responses")
        ).scalar_one()
    fast_s = time.perf_counter() - t0
    engine.dispose()
    checkpoint(instance / "kiosk.sqlite3")
    return Backlog(instance / "kiosk.sqlite3", answers, sampled_s, fast_s)


def checkpoint(path: Path) -> None:
    """Fold the WAL into the database file so that the file alone can be copied."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def drain_backlog(instance: Path) -> tuple[float, int, list[float]]:
    """Time kiosk.worker.drain over the whole outbox; returns seconds, acknowledged, and the
    time of each batch's request (the rest is the kiosk's own work)."""
    from kiosk import create_app, db
    from kiosk.outbox import queue_length
    from kiosk.worker import drain

    app = create_app(instance_path=str(instance))
    latencies: list[float] = []
    http = requests.Session()
    send = http.post

    def timed_post(url, *args, **kwargs):
        t0 = time.perf_counter()
        try:
            return send(url, *args, **kwargs)
        finally:
            if url.endswith("/responses"):
                latencies.append(time.perf_counter() - t0)

    http.post = timed_post  # type: ignore[method-assign]
    t0 = time.perf_counter()
    sent = drain(app, http)
    seconds = time.perf_counter() - t0
    with app.app_context():
        left = queue_length(db.session())
    db.engine(app).dispose()
    if left:
        raise RuntimeError(f"the drain left {left} responses in the outbox")
    return seconds, sent, latencies


# -- one database kind ----------------------------------------------------------------------------


@dataclass
class Setting:
    label: str
    collector_url: str
    baseline_urls: list[str]


def run_kind(
    setting: Setting,
    streams: list[KioskStream],
    backlog: Backlog,
    size: Size,
    work: Path,
    cleanup: Cleanup,
    args: argparse.Namespace,
) -> list[Result]:
    label = setting.label
    bases = baselines(label, setting.baseline_urls, streams, args.without_answers_fk)

    log(f"{label}: collector set-up (sipas collector db upgrade, units import, kiosks register)")
    collector = Collector(work / f"collector-{label.lower()}", setting.collector_url)
    collector.workdir.mkdir(parents=True)
    tokens = collector.setup(streams)
    if args.without_answers_fk:
        drop_answers_fk(setting.collector_url)

    extra = ["-c", str(write_profile_config(work, label))] if args.profile else []
    server = Gunicorn(collector.env, collector.workdir / "gunicorn.log", extra)
    cleanup.add(f"gunicorn ({label})", server.stop)
    total = sum(s.count for s in streams)
    try:
        server.wait_ready()
        log(f"{label}: posting {total:,} responses from {len(streams)} kiosks at once")
        seconds, latencies = post_all(server.url, streams, tokens)
        coll = Result(
            f"{label}: collector, gunicorn {WORKERS} workers, {len(streams)} kiosks at once",
            total,
            seconds,
            latencies,
            target=f">= {TARGET_RATE:,}/s; <= {TARGET_RATIO:g}x baseline",
            baseline=bases[0],
            floor=bases[1] if len(bases) > 1 else None,
        )
        coll.passed = coll.rate >= TARGET_RATE and coll.slowdown <= TARGET_RATIO
        log(f"{label}: collector {coll.rate:,.0f} responses/s, p99 {coll.p99_ms:,.0f} ms")

        count = sum(len(s.single_batches) for s in streams)
        log(f"{label}: posting {count:,} responses one per request")
        seconds, latencies = post_all(server.url, streams, tokens, singles=True)
        single = Result(
            f"{label}: collector, 1 response per request, {len(streams)} kiosks at once",
            count,
            seconds,
            latencies,
        )
        log(f"{label}: {single.rate:,.0f} requests/s, p99 {single.p99_ms:,.0f} ms")

        seconds, latencies = post_heartbeats(server.url, streams, tokens, size.singles)
        beats = Result(
            f"{label}: collector, heartbeats (requests/s), {len(streams)} kiosks at once",
            size.singles * len(streams),
            seconds,
            latencies,
        )
        log(f"{label}: {beats.rate:,.0f} heartbeats/s, p99 {beats.p99_ms:,.0f} ms")

        log(f"{label}: draining a kiosk backlog of {size.backlog:,}")
        instance = work / f"kiosk-{label.lower()}"
        kiosk_init(instance, server.url, tokens[BACKLOG_UNIT])
        shutil.copyfile(backlog.db, instance / "kiosk.sqlite3")
        drain_s, sent, drain_lat = drain_backlog(instance)
        if sent != size.backlog:
            raise RuntimeError(f"{label}: the drain sent {sent}, not {size.backlog}")
        limit = TARGET_DRAIN_S * size.backlog / FULL.backlog
        drained = Result(
            f"{label}: {size.backlog // 1000}k kiosk backlog, kiosk.worker.drain",
            sent,
            drain_s,
            drain_lat,
            target=f"< {limit:g} s",
            passed=drain_s < limit,
            waiting=sum(drain_lat),
        )
        log(
            f"{label}: drained in {drain_s:.1f} s, {sum(drain_lat):.1f} s of it waiting for "
            "the collector"
        )
    finally:
        server.stop()
    expected = {s.unit: s.count + len(s.single_batches) for s in streams}
    expected[BACKLOG_UNIT] = size.backlog
    answers = sum(len(r["answers"]) for s in streams for r in s.all_responses())
    problems = collector.check(expected, answers + backlog.answers)
    if problems:
        raise RuntimeError(f"{label}: the collector's records are wrong: {problems[:4]}")
    return [*bases, coll, single, beats, drained]


# -- profiling (optional) -------------------------------------------------------------------------

PROFILE_CONFIG = """
import cProfile, os
_profiles = {{}}
def post_fork(server, worker):
    p = cProfile.Profile()
    _profiles["p"] = p
def pre_request(worker, req):
    if req.path == "/api/v1/responses":
        _profiles["p"].enable()
def post_request(worker, req, environ, resp):
    if req.path == "/api/v1/responses":
        _profiles["p"].disable()
def worker_exit(server, worker):
    _profiles["p"].dump_stats(os.path.join({folder!r}, f"worker-{{os.getpid()}}.prof"))
"""


def write_profile_config(work: Path, label: str) -> Path:
    folder = work / f"profile-{label.lower()}"
    folder.mkdir(exist_ok=True)
    path = work / f"gunicorn-profile-{label.lower()}.py"
    path.write_text(PROFILE_CONFIG.format(folder=str(folder)))
    return path


def print_profiles(work: Path) -> None:
    import pstats

    for folder in sorted(work.glob("profile-*")):
        files = [str(p) for p in folder.glob("*.prof")]
        if not files:
            continue
        print(f"\n== {folder.name}: gunicorn workers, POST /api/v1/responses only")
        stats = pstats.Stats(*files, stream=sys.stdout)
        stats.sort_stats("cumulative").print_stats(30)
        stats.sort_stats("tottime").print_stats(20)


# -- the table ------------------------------------------------------------------------------------


def render(results: list[Result]) -> str:
    headers = [
        "setting",
        "responses",
        "s",
        "responses/s",
        "p50 batch ms",
        "p99 batch ms",
        "ratio to baseline",
        "target",
        "result",
    ]
    rows = []
    for r in results:
        if r.baseline is not None:
            ratio = f"{r.slowdown:.2f}x as long"
            if r.floor is not None:
                ratio += f" ({r.floor.rate / r.rate:.2f}x COPY)"
        elif "plain SQLAlchemy Core" in r.setting:
            ratio = "1 (baseline)"
        elif r.waiting is not None:
            ratio = f"{r.waiting:.1f} s in requests"
        else:
            ratio = "-"
        rows.append(
            [
                r.setting,
                f"{r.responses:,}",
                f"{r.seconds:.1f}",
                f"{r.rate:,.0f}",
                f"{r.p_ms(50):,.0f}",
                f"{r.p99_ms:,.0f}",
                ratio,
                r.target or "-",
                "-" if r.passed is None else ("pass" if r.passed else "FAIL"),
            ]
        )
    return table(headers, rows, right={1, 2, 3, 4, 5})


def describe(pg_version: str | None) -> str:
    """Date, machine, versions, load, and the code measured (commit; uncommitted changes)."""
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", "collector/*.py", "kiosk/*.py", "shared/*.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.strip()
    code = f"commit {head or '?'}" + (" + uncommitted Python changes in the app" if dirty else "")
    return (
        f"{dt.date.today().isoformat()}; nproc {os.cpu_count()}; "
        f"Python {platform.python_version()}; SQLite {sqlite3.sqlite_version}; "
        f"PostgreSQL {pg_version or '-'}; {platform.system()} {platform.release()}; {code}; "
        "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller runs")
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("SIPAS_BENCH_POSTGRES_URL", DEFAULT_PG),
        help="an admin URL; the benchmark creates and drops its own databases",
    )
    parser.add_argument("--profile", action="store_true", help="cProfile the gunicorn workers")
    parser.add_argument("--per-kiosk", type=int, help="responses per kiosk (overrides the size)")
    parser.add_argument("--backlog", type=int, help="kiosk backlog (overrides the size)")
    parser.add_argument(
        "--without-answers-fk",
        action="store_true",
        help="what-if: drop the answers -> responses foreign key (PostgreSQL) after migrating",
    )
    args = parser.parse_args()
    size = QUICK if args.quick else FULL
    if args.per_kiosk:
        size = replace(size, per_kiosk=args.per_kiosk)
    if args.backlog:
        size = replace(size, backlog=args.backlog, sampled=min(size.sampled, args.backlog))
    exit_on_sigterm()

    cleanup = Cleanup()
    work = Path(tempfile.mkdtemp(prefix="sipas-bench-ingest-"))
    cleanup.add("the work folder", lambda: shutil.rmtree(work, ignore_errors=True))
    results: list[Result] = []
    pg_version = None
    started = time.perf_counter()
    try:
        log(f"generating {size.kiosks} x {size.per_kiosk:,} responses (full questionnaires)")
        t0 = time.perf_counter()
        streams = generate(size)
        answers = sum(len(r["answers"]) for s in streams for b in s.batches for r in b)
        total = sum(s.count for s in streams)
        batches = sum(len(s.batches) for s in streams)
        log(
            f"generated {total:,} responses, {answers / total:.1f} answers each, {batches} "
            f"batches, in {time.perf_counter() - t0:.1f} s"
        )

        log(f"kiosk backlog of {size.backlog:,} responses")
        backlog = build_backlog(work / "kiosk-template", size)
        log(
            f"backlog: take_sample_ratings {size.sampled:,} in {backlog.sampled_s:.1f} s "
            f"({backlog.sampled_s / size.sampled * 1000:.2f} ms each), the other "
            f"{size.backlog - size.sampled:,} in {backlog.fast_s:.1f} s"
        )

        settings = []
        if args.only in (None, "sqlite"):
            folder = work / "sqlite"
            folder.mkdir()
            settings.append(
                Setting(
                    "SQLite",
                    f"sqlite:///{folder / 'collector.sqlite'}",
                    [f"sqlite:///{folder / 'baseline.sqlite'}"],
                )
            )
        if args.only in (None, "postgresql"):
            try:
                pg = Postgres(args.postgres_url)
            except sa.exc.OperationalError as exc:
                log(f"PostgreSQL skipped: cannot connect to {args.postgres_url}: {exc.orig}")
            else:
                cleanup.add("the PostgreSQL admin engine", pg.admin.dispose)
                pg_version = pg.version
                tag = uuid.uuid4().hex[:10]
                urls = []
                for role in ("collector", "core", "copy"):
                    name = f"sipas_bench_ingest_{tag}_{role}"
                    cleanup.add(f"database {name}", lambda name=name: pg.drop(name))
                    urls.append(pg.create(name))
                settings.append(Setting("PostgreSQL", urls[0], urls[1:]))
        for setting in settings:
            results += run_kind(setting, streams, backlog, size, work, cleanup, args)

        print()
        print(describe(pg_version))
        print(
            f"{total:,} responses ({answers / total:.1f} answers each) in {batches} batches of "
            f"200-500 from {size.kiosks} kiosks, then {size.singles * size.kiosks:,} one per "
            f"request; a kiosk backlog of {size.backlog:,} responses "
            f"({backlog.answers / size.backlog:.0f} answers each); whole run "
            f"{time.perf_counter() - started:.0f} s"
            + ("; WITHOUT the answers foreign key (what-if)" if args.without_answers_fk else "")
        )
        print(render(results))
        if args.profile:
            print_profiles(work)
        return 0 if all(r.passed is not False for r in results) else 1
    finally:
        cleanup.run()


if __name__ == "__main__":
    sys.exit(main())
