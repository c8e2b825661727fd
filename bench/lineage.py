"""Reports across a reorganisation (not a test): `.venv/bin/python bench/lineage.py [--scale 0.05]`.

The province-sized tree and year of `bench/report.py` (a fraction of its responses) in SQLite.
The year's report page, recomputed (the report cache emptied), for the province and for one
commune, before and after half of the communes (50) are merged into the other half on
1 July 2025 (`units reorganise`): the cost of reading the counts of the units that ceased as
those of the units that follow them (collector/reports/lineage.py). Beside them, in the same
run, the bare baseline of bench/report.py: one SQL GROUP BY over the year's answers.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench import report as base  # noqa: E402
from bench._common import fmt, load, machine, table  # noqa: E402

PERIOD = str(base.YEAR)
MERGED = 50


def reorganise(url: str, instance: str) -> None:
    from collector import create_app
    from collector.db import get_session
    from collector.unit_history import reorganise_units

    app = create_app(
        {"TESTING": True, "SECRET_KEY": "b", "DATABASE_URL": url, "INSTANCE_PATH": instance}
    )
    rows = [
        {
            "date": f"{base.YEAR}-07-01",
            "from": f"X{c:03d}",
            "to": f"X{c + MERGED:03d}",
            "change": "merge",
        }
        for c in range(MERGED)
    ]
    with app.app_context():
        session = get_session()
        reorganise_units(session, rows)
        session.commit()
        session.get_bind().dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.05)
    args = parser.parse_args()
    print(machine(), "|", load(), file=sys.stderr)
    data = base.generate(int(base.FULL_RESPONSES * args.scale))
    rows = []
    with tempfile.TemporaryDirectory(prefix="sipas-bench-") as tmp:
        url = f"sqlite:///{tmp}/report.sqlite"
        base.load_sqlite(Path(url.removeprefix("sqlite:///")), *data)
        from collector import create_app
        from collector.counts.refresh import refresh_counts
        from collector.db import get_session

        app = create_app(
            {"TESTING": True, "SECRET_KEY": "b", "DATABASE_URL": url, "INSTANCE_PATH": tmp}
        )
        with app.app_context():
            session = get_session()
            refresh_counts(session)
            session.commit()
            session.get_bind().dispose()
        with sqlite3.connect(url.removeprefix("sqlite:///")) as con:
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        sql = base.baselines(url, PERIOD)["sql_group_by"]
        for links in (0, MERGED):
            if links:
                t0 = time.perf_counter()
                reorganise(url, tmp)
                print(f"reorganised in {time.perf_counter() - t0:.2f} s", file=sys.stderr)
            for scope, unit in (("province", "01"), ("commune", f"X{MERGED + 42:03d}")):
                result = base.child(url, unit, tmp, PERIOD, drop=False)
                rows.append((scope, links, result["recomputed"], result["warm"], sql))
                print(scope, links, result, file=sys.stderr)
    print(machine(), "|", load())
    print(
        f"Scale {args.scale}: {len(data[1]):,} responses, {len(data[0])} units; period {PERIOD}; "
        f"merged communes: 0, then {MERGED} into {MERGED}"
    )
    print(
        table(
            ["scope", "links", "recomputed s", "warm s", "SQL GROUP BY s", "recomputed / SQL"],
            [
                (scope, links, fmt(rec, 2), fmt(warm, 3), fmt(sql, 2), fmt(rec / sql, 1))
                for scope, links, rec, warm, sql in rows
            ],
            right={1, 2, 3, 4, 5},
        )
    )


if __name__ == "__main__":
    main()
