"""Report benchmark (not a test): `.venv/bin/python bench/report.py [--scale 1.0]`.

Loads a province-sized year into SQLite and into PostgreSQL: about 500 units (a province, 100
communes, and under each a one-stop centre, a health station and two schools), 1 million responses
over the 52 weeks of 2025 with the full questionnaires (admin 17 answers, health 32, education 18:
about 21 million answers). `--scale 0.1` makes a tenth of the responses over the same tree.

Then, for one week in the middle of the year and for the whole year, it times the report page
(GET /reports?period=..., HTML with charts, through the Flask app) for the province and for one
commune: cold (a new process, the OS page cache dropped when allowed), warm (the median of 5
repeats in the same process) and recomputed (the report cache emptied), with the process's peak
resident memory. Beside them, in the same run, the bare baselines: one pandas groupby over the
same period's answers already in memory (the week only), and one SQL GROUP BY over the period's
answers. Also: building the counts from scratch after the load (once), the
raw CSV export's rate, and the raw XLSX export's rate (it runs in a background thread).

PostgreSQL comes from SIPAS_BENCH_POSTGRES_URL or SIPAS_TEST_POSTGRES_URL (a server where the
user may create databases); without one only SQLite runs. Prints a table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from bench._common import fmt, table  # noqa: E402

YEAR = 2025
WEEK = "2025-W27"
PERIODS = (WEEK, str(YEAR))
FULL_RESPONSES = 1_000_000
COMMUNES = 100
KINDS = (("admin", "2026.1", 0.5), ("health", "2019.1", 0.25), ("education", "2026.1", 0.25))
PG_ENV = ("SIPAS_BENCH_POSTGRES_URL", "SIPAS_TEST_POSTGRES_URL")


# -- the data --------------------------------------------------------------------------------


def unit_tree() -> list[tuple[int, str, str, str, int | None, str | None]]:
    """(id, code, name, kind, parent id, questionnaire kind rated there)."""
    units = [(1, "01", "Tỉnh Thử Nghiệm", "province", None, None)]
    next_id = 2
    for c in range(COMMUNES):
        commune = next_id
        units.append((commune, f"X{c:03d}", f"Xã {c:03d}", "commune", 1, None))
        next_id += 1
        for suffix, kind, qkind in (
            ("MC", "one-stop-centre", "admin"),
            ("TYT", "health-facility", "health"),
            ("TH", "school", "education"),
            ("THCS", "school", "education"),
        ):
            units.append(
                (next_id, f"X{c:03d}.{suffix}", f"{suffix} xã {c:03d}", kind, commune, qkind)
            )
            next_id += 1
    return units


def generate(n_responses: int, seed: int = 0):
    """Responses as column arrays, and the answers as (response id, code, value) arrays."""
    from shared import questionnaires

    rng = np.random.default_rng(seed)
    units = unit_tree()
    by_kind = {k: [u for u in units if u[5] == k] for k, _, _ in KINDS}
    start = dt.datetime(YEAR, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=7))).astimezone(dt.UTC)
    seconds = 365 * 86400
    responses = []
    answer_ids, answer_codes, answer_values = [], [], []
    next_id = 1
    for kind, version, share in KINDS:
        q = questionnaires.get(kind, version)
        codes = [item.code for item in q.questions]
        n = int(n_responses * share)
        kind_units = by_kind[kind]
        # Each unit has its own level of satisfaction, so the report has something to rank.
        quality = rng.uniform(0.70, 0.97, size=len(kind_units))
        unit_index = rng.integers(0, len(kind_units), size=n)
        offsets = np.sort(rng.integers(0, seconds, size=n))
        p_sat = quality[unit_index][:, None]
        draw = rng.random((n, len(codes)))
        values = np.where(
            draw < p_sat,
            rng.integers(4, 6, size=(n, len(codes))),
            rng.choice([0, 1, 2, 3, 3], size=(n, len(codes))),
        )
        answered = rng.random((n, len(codes))) > 0.03  # a few questions left unanswered
        answered[:, 0] = True
        suspect = rng.random(n) < 0.002
        ids = np.arange(next_id, next_id + n)
        next_id += n
        for i in range(n):
            row_codes = [codes[j] for j in range(len(codes)) if answered[i, j]]
            row_values = [int(values[i, j]) for j in range(len(codes)) if answered[i, j]]
            unit = kind_units[unit_index[i]]
            responses.append(
                (
                    int(ids[i]),
                    unit[0],
                    kind,
                    version,
                    start + dt.timedelta(seconds=int(offsets[i])),
                    dict(zip(row_codes, row_values, strict=True)),
                    ["suspect-burst"] if suspect[i] else [],
                    ["waiting"] if min(row_values) in (1, 2) else [],
                )
            )
            answer_ids.extend([int(ids[i])] * len(row_codes))
            answer_codes.extend(row_codes)
            answer_values.extend(row_values)
    return units, responses, (answer_ids, answer_codes, answer_values)


# -- loading -----------------------------------------------------------------------------------


#: Every kiosk's chain bookkeeping, as the ingest would have left it (the report page lists
#: silent kiosks from it).
_CHAINS = (
    "INSERT INTO kiosk_chains (kiosk_id, max_seq, received, gaps, broken, forks, last_contact_at) "
    "SELECT k.id, COALESCE(MAX(r.kiosk_seq), 0), COUNT(r.id), {empty}, {empty}, {empty}, "
    "MAX(r.received_at) FROM kiosks k LEFT JOIN responses r ON r.kiosk_id = k.id GROUP BY k.id"
)


_RESPONSE_COLUMNS = (
    "id, uuid, kiosk_id, kiosk_seq, unit_id, counter, channel, questionnaire, "
    "questionnaire_version, started_at, submitted_at, started_at_sent, submitted_at_sent, "
    "received_at, complete, answers, reasons, comment, flags, prev_hash, hash, chain_ok"
)


def _response_rows(responses, *, uid, when, true):
    """The responses as rows of _RESPONSE_COLUMNS, each kiosk's numbered from 1; `uid` and `when`
    write a response's uuid and time, `true` a true value, as the database takes them."""
    seq: dict[int, int] = {}
    for rid, unit_id, kind, version, at, ans, flags, reasons in responses:
        seq[unit_id] = seq.get(unit_id, 0) + 1
        stamp, sent = when(at), at.isoformat()
        yield (
            *(rid, uid(rid), unit_id, seq[unit_id], unit_id, "1", "kiosk", kind, version),
            *(stamp, stamp, sent, sent, stamp, true),
            *(json.dumps(ans), json.dumps(reasons), None, json.dumps(flags)),
            *("0" * 64, f"{rid:064x}", true),
        )


def load_sqlite(path: Path, units, responses, answers) -> None:
    from collector.migrate import upgrade

    upgrade(f"sqlite:///{path}")
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    created = "2025-01-01 00:00:00.000000"
    con.executemany(
        "INSERT INTO units (id, code, name, kind, parent_id, created_at) VALUES (?,?,?,?,?,?)",
        [(u[0], u[1], u[2], u[3], u[4], created) for u in units],
    )
    rated = [u for u in units if u[5]]
    con.executemany(
        "INSERT INTO kiosks (id, unit_id, label, token_hash, created_at) VALUES (?,?,?,?,?)",
        [(u[0], u[0], "bench", f"{u[0]:064x}", created) for u in rated],
    )
    con.executemany(
        f"INSERT INTO responses ({_RESPONSE_COLUMNS}) VALUES ({', '.join('?' * 22)})",
        _response_rows(
            responses,
            uid=lambda rid: uuid.UUID(int=rid).hex,
            when=lambda at: at.strftime("%Y-%m-%d %H:%M:%S.%f"),
            true=1,
        ),
    )
    ids, codes, values = answers
    con.executemany(
        "INSERT INTO answers (response_id, code, value) VALUES (?,?,?)",
        zip(ids, codes, values, strict=True),
    )
    con.execute(_CHAINS.format(empty="'[]'"))
    con.commit()
    con.execute("ANALYZE")
    con.close()


def load_postgres(url: str, units, responses, answers) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    from collector.migrate import upgrade

    upgrade(url)
    u = make_url(url)
    conninfo = f"host={u.host} port={u.port or 5432} user={u.username} dbname={u.database}"
    if u.password:
        conninfo += f" password={u.password}"
    with psycopg.connect(conninfo) as con, con.cursor() as cur:
        created = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
        with cur.copy("COPY units (id, code, name, kind, parent_id, created_at) FROM STDIN") as cp:
            for x in units:
                cp.write_row((x[0], x[1], x[2], x[3], x[4], created))
        with cur.copy("COPY kiosks (id, unit_id, label, token_hash, created_at) FROM STDIN") as cp:
            for x in units:
                if x[5]:
                    cp.write_row((x[0], x[0], "bench", f"{x[0]:064x}", created))
        with cur.copy(f"COPY responses ({_RESPONSE_COLUMNS}) FROM STDIN") as cp:
            for row in _response_rows(
                responses, uid=lambda rid: uuid.UUID(int=rid), when=lambda at: at, true=True
            ):
                cp.write_row(row)
        ids, codes, values = answers
        with cur.copy("COPY answers (response_id, code, value) FROM STDIN") as cp:
            for row in zip(ids, codes, values, strict=True):
                cp.write_row(row)
        cur.execute(_CHAINS.format(empty="CAST('[]' AS jsonb)"))
        con.commit()
    with psycopg.connect(conninfo, autocommit=True) as con:
        con.execute("VACUUM ANALYZE")


# -- measuring (in a fresh process) ------------------------------------------------------------


def drop_os_cache() -> bool:
    try:
        os.sync()
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        return True
    except OSError:
        return False


def measure(url: str, unit: str, instance: str, period: str) -> dict:
    """Run in a child process: the report page for `unit`, first call then 5 more."""
    from collector import create_app
    from collector.accounts.service import add_user, find_user
    from collector.db import get_session

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench",
            "DATABASE_URL": url,
            "INSTANCE_PATH": instance,
            "WTF_CSRF_ENABLED": False,
        }
    )
    with app.app_context():
        session = get_session()
        if find_user(session, "bench@example.org") is None:
            add_user(session, "bench@example.org", "bench-password", "admin", None)
            session.commit()
    client = app.test_client()
    client.post("/login", data={"email": "bench@example.org", "password": "bench-password"})
    from collector.reports.service import _CACHE

    rss_before = _memory_mb("VmRSS")

    def page() -> float:
        t0 = time.perf_counter()
        reply = client.get(f"/reports?period={period}&unit={unit}")
        assert reply.status_code == 200, reply.status_code
        page.html = reply.get_data(as_text=True)
        return time.perf_counter() - t0

    cold = page()
    warm = statistics.median(page() for _ in range(5))  # the same report again: cached
    recomputed = []
    for _ in range(3):  # the database warm, the report computed again
        _CACHE.clear()
        recomputed.append(page())
    html = page.html
    return {
        "cold": cold,
        "warm": warm,
        "recomputed": statistics.median(recomputed),
        "peak_mb": _memory_mb("VmHWM"),
        "rss_before_mb": rss_before,
        "svg": html.count("<svg"),
        "bytes": len(html),
    }


def _memory_mb(field: str) -> float:
    """VmRSS or VmHWM (peak) of this process, in MB. Not getrusage: its ru_maxrss survives
    fork and exec, so a child would report its parent's peak (here, the generated year)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def child(url: str, unit: str, instance: str, period: str, drop: bool) -> dict:
    dropped = drop_os_cache() if drop else False
    out = subprocess.run(
        [sys.executable, __file__, "--measure", url, unit, instance, period],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["cache_dropped"] = dropped
    return result


def baselines(url: str, period_key: str) -> dict:
    """One SQL GROUP BY over the period's answers; for a week, one pandas groupby over them in
    memory."""
    import pandas as pd
    import sqlalchemy as sa

    from collector.periods import Period
    from shared.db import make_engine

    period = Period.parse(period_key)
    engine = make_engine(url)
    start, end = period.start_utc(), period.end_utc()
    if engine.dialect.name == "sqlite":
        start, end = (m.replace(tzinfo=None).isoformat(" ") for m in (start, end))
    group_by = sa.text(
        "SELECT r.unit_id, a.code, a.value, COUNT(*) FROM responses r "
        "JOIN answers a ON a.response_id = r.id "
        "WHERE r.submitted_at >= :start AND r.submitted_at < :end "
        "GROUP BY r.unit_id, a.code, a.value"
    )
    raw = sa.text(
        "SELECT r.unit_id, a.code, a.value FROM responses r "
        "JOIN answers a ON a.response_id = r.id "
        "WHERE r.submitted_at >= :start AND r.submitted_at < :end"
    )
    with engine.connect() as conn:
        conn.execute(group_by, {"start": start, "end": end}).all()  # warm the cache
        t0 = time.perf_counter()
        groups = conn.execute(group_by, {"start": start, "end": end}).all()
        sql_s = time.perf_counter() - t0
        answers = sum(row[3] for row in groups)
        frame = None
        if period.kind == "week":
            frame = pd.DataFrame(
                conn.execute(raw, {"start": start, "end": end}).all(),
                columns=["unit_id", "code", "value"],
            )
    engine.dispose()
    times = []
    for _ in range(5 if frame is not None else 0):
        t0 = time.perf_counter()
        frame.groupby(["unit_id", "code", "value"]).size()
        times.append(time.perf_counter() - t0)
    return {
        "sql_group_by": sql_s,
        "pandas_groupby": statistics.median(times) if times else float("nan"),
        "period_answers": answers,
        "groups": len(groups),
    }


def exports(url: str, instance: str) -> dict:
    """Rows per second of the raw CSV stream (a quarter) and the raw XLSX writer (4 weeks)."""
    import sqlalchemy as sa

    from collector import create_app
    from collector.db import get_session
    from collector.periods import Period
    from collector.reports.exports import stream_raw_csv, write_raw_xlsx

    app = create_app(
        {"TESTING": True, "SECRET_KEY": "b", "DATABASE_URL": url, "INSTANCE_PATH": instance}
    )
    last = Period.parse_week(WEEK)
    out = {}
    with app.test_request_context("/"):
        session = get_session()
        t0 = time.perf_counter()
        size = sum(len(chunk) for chunk in stream_raw_csv(session, 1, last.plus(-12), last))
        elapsed = time.perf_counter() - t0
        rows = session.execute(
            sa.text(
                "SELECT COUNT(*) FROM responses WHERE submitted_at >= :s AND submitted_at < :e"
            ),
            {
                "s": _bound(url, last.plus(-12).start_utc()),
                "e": _bound(url, last.end_utc()),
            },
        ).scalar()
        out["csv_rows_per_s"] = rows / elapsed
        out["csv_mb"] = size / 1e6
        path = Path(instance) / "bench.xlsx"
        t0 = time.perf_counter()
        xrows = write_raw_xlsx(session, 1, last.plus(-3), last, path)
        out["xlsx_rows_per_s"] = xrows / (time.perf_counter() - t0)
        session.rollback()
    return out


def _bound(url: str, moment: dt.datetime):
    return moment.replace(tzinfo=None).isoformat(" ") if url.startswith("sqlite") else moment


def run_backend(name: str, url: str, data, instance: str) -> list[dict]:
    units, responses, answers = data
    t0 = time.perf_counter()
    if name == "sqlite":
        load_sqlite(Path(url.removeprefix("sqlite:///")), units, responses, answers)
    else:
        load_postgres(url, units, responses, answers)
    load_s = time.perf_counter() - t0
    print(f"[{name}] loaded in {load_s:.0f} s", file=sys.stderr)

    from collector import create_app
    from collector.counts.refresh import refresh_counts
    from collector.db import get_session

    app = create_app(
        {"TESTING": True, "SECRET_KEY": "b", "DATABASE_URL": url, "INSTANCE_PATH": instance}
    )
    with app.app_context():
        session = get_session()
        t0 = time.perf_counter()
        refresh_counts(session)
        session.commit()
        counts_s = time.perf_counter() - t0
        session.close()
        get_session().get_bind().dispose()
    if name == "sqlite":
        # Millions of count rows were just written through the WAL: fold it back into the
        # database, as SQLite does by itself once no reader holds it, so that the timings below
        # do not read through an outsized WAL.
        with sqlite3.connect(url.removeprefix("sqlite:///")) as con:
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    print(f"[{name}] counts built in {counts_s:.1f} s", file=sys.stderr)
    rows = []
    for period in PERIODS:
        base = baselines(url, period)
        print(f"[{name}] {period} baselines {base}", file=sys.stderr)
        for label, unit in (("province", "01"), ("commune", "X042")):
            cold = child(url, unit, instance, period, drop=True)
            print(f"[{name}] {period} {label} {cold}", file=sys.stderr)
            rows.append(
                {
                    "backend": name,
                    "period": period,
                    "scope": label,
                    **cold,
                    **base,
                    "load_s": load_s,
                    "counts_s": counts_s,
                }
            )
    ex = exports(url, instance)
    print(f"[{name}] exports {ex}", file=sys.stderr)
    for row in rows:
        row.update(ex)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--measure", nargs=4, metavar=("URL", "UNIT", "INSTANCE", "PERIOD"))
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(*args.measure)))
        return
    n = int(FULL_RESPONSES * args.scale)
    t0 = time.perf_counter()
    data = generate(n)
    answers = len(data[2][0])
    print(
        f"generated {len(data[1]):,} responses, {answers:,} answers, {len(data[0])} units "
        f"in {time.perf_counter() - t0:.0f} s",
        file=sys.stderr,
    )
    results = []
    with tempfile.TemporaryDirectory(prefix="sipas-bench-") as tmp:
        for backend in args.backends.split(","):
            if backend == "sqlite":
                url = f"sqlite:///{tmp}/report.sqlite"
                results += run_backend("sqlite", url, data, tmp)
            elif backend == "postgresql":
                pg = next((os.environ[k] for k in PG_ENV if os.environ.get(k)), None)
                if not pg:
                    print("no PostgreSQL URL: skipping PostgreSQL", file=sys.stderr)
                    continue
                import sqlalchemy as sa

                admin = sa.create_engine(pg, isolation_level="AUTOCOMMIT")
                name = f"sipas_bench_{os.getpid()}"
                with admin.connect() as conn:
                    conn.exec_driver_sql(f"CREATE DATABASE {name}")
                try:
                    url = admin.url.set(database=name).render_as_string(hide_password=False)
                    results += run_backend("postgresql", url, data, tmp)
                finally:
                    with admin.connect() as conn:
                        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
                    admin.dispose()
    print()
    print(
        f"Scale {args.scale}: {len(data[1]):,} responses, {answers:,} answers, "
        f"{len(data[0])} units; periods {', '.join(PERIODS)}"
    )
    headers = [
        "backend",
        "period",
        "scope",
        "cold s",
        "warm s",
        "recomputed s",
        "peak MB",
        "SQL GROUP BY s",
        "pandas groupby s",
        "recomputed / SQL",
        "period answers",
        "counts build s",
        "load s",
        "CSV rows/s",
        "XLSX rows/s",
    ]
    rows = [
        [
            r["backend"],
            r["period"],
            r["scope"],
            fmt(r["cold"], 2),
            fmt(r["warm"], 3),
            fmt(r["recomputed"], 2),
            fmt(r["peak_mb"], 0),
            fmt(r["sql_group_by"], 2),
            fmt(r["pandas_groupby"], 3),
            fmt(r["recomputed"] / r["sql_group_by"], 1),
            f"{r['period_answers']:,}",
            fmt(r["counts_s"], 1),
            fmt(r["load_s"], 0),
            fmt(r["csv_rows_per_s"], 0),
            fmt(r["xlsx_rows_per_s"], 0),
        ]
        for r in results
    ]
    print(table(headers, rows, right=set(range(3, len(headers)))))
    print(f"OS cache dropped before cold runs: {all(r['cache_dropped'] for r in results)}")


if __name__ == "__main__":
    main()
