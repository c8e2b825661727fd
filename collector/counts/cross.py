"""The respondents' cross-products kept beside the report counts (`ReportCross`): the write side
(a batch of responses added to its days, ISO weeks and months; a week or month summed again from
its days) and the packed format both sides share.

A report's interval treats the respondent as the unit of sampling (methodology section 7): its
variance needs, per bucket, how each respondent's answers to two criteria go together
(`shared.scoring.Cross`), which per-question counts cannot tell. Those are sums over people, so a
period, a unit with all below it, or several channels are sums of stored rows, like the counts.
They are made in Python (`shared.scoring.cross_of`) from the batch's answers, one ISO week of
days at a time, and added to the rows already stored (read, add, write: a blob cannot be summed in
SQL).
"""

from __future__ import annotations

import datetime as dt
import functools
import zlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from collector.models import ReportCross
from shared import questionnaires, scoring

#: A row's key after grain and bucket: unit_id, questionnaire, version, channel, unofficial.
Key = tuple[int, str, str, str, bool]

_INT32 = np.dtype("<i4")


# -- the packed format ---------------------------------------------------------------------------


def packed_length(criteria: int) -> int:
    """Numbers in a packed row of `criteria` criteria: two upper triangles and one full matrix."""
    return criteria * (criteria + 1) + criteria * criteria


@functools.cache
def _triangle(criteria: int) -> tuple[np.ndarray, np.ndarray]:
    return np.triu_indices(criteria)


def pack_many(yy: np.ndarray, ya: np.ndarray, aa: np.ndarray) -> list[bytes]:
    """Rows of matrices (rows x criteria x criteria, whole numbers) as stored, one each."""
    rows, cols = _triangle(yy.shape[-1])
    flat = np.concatenate([yy[:, rows, cols], ya.reshape(len(ya), -1), aa[:, rows, cols]], axis=1)
    if flat.size and (flat.min() < 0 or flat.max() > np.iinfo(_INT32).max):
        raise ValueError("cross-products out of the stored range")
    packed = np.rint(flat).astype(_INT32)
    return [zlib.compress(row.tobytes(), 1) for row in packed]


def pack(yy: np.ndarray, ya: np.ndarray, aa: np.ndarray) -> bytes:
    """One row's matrices (criteria x criteria, whole numbers) as stored."""
    return pack_many(yy[None], ya[None], aa[None])[0]


def unpack(packed: np.ndarray, criteria: int) -> scoring.Cross:
    """Packed rows (..., packed_length) as matrices (..., criteria, criteria)."""
    packed = np.asarray(packed, dtype=np.float64)
    half = criteria * (criteria + 1) // 2
    rows, cols = _triangle(criteria)
    lead = packed.shape[:-1]

    def symmetric(part: np.ndarray) -> np.ndarray:
        out = np.zeros((*lead, criteria, criteria))
        out[..., rows, cols] = part
        out[..., cols, rows] = part
        return out

    yy = symmetric(packed[..., :half])
    ya = packed[..., half : half + criteria * criteria].reshape(*lead, criteria, criteria)
    aa = symmetric(packed[..., half + criteria * criteria :])
    return scoring.Cross(yy, ya.copy(), aa)


def decode(codes: Sequence[str], blobs: Sequence[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """Rows of one `codes` as a (rows, packed_length) array, and which rows could be read: a row
    whose bytes are not what `codes` needs (written straight into the database) is left out
    rather than breaking the report."""
    length = packed_length(len(codes)) * _INT32.itemsize
    good = np.ones(len(blobs), dtype=bool)
    raw = []
    for i, blob in enumerate(blobs):
        try:
            data = zlib.decompress(bytes(blob))
        except (zlib.error, TypeError):
            data = b""
        if len(data) != length:
            good[i] = False
            continue
        raw.append(data)
    flat = np.frombuffer(b"".join(raw), dtype=_INT32).astype(np.float64)
    return flat.reshape(len(raw), -1), good


# -- the write side ------------------------------------------------------------------------------


@dataclass
class _Row:
    codes: tuple[str, ...]
    cross: scoring.Cross  #: (criteria, criteria) each

    def plus(self, other: _Row) -> _Row:
        """The sum of two rows, over the union of their criteria (a questionnaire file changed
        in place would otherwise lose answers)."""
        if other.codes == self.codes:
            return _Row(
                self.codes,
                scoring.Cross(
                    self.cross.yy + other.cross.yy,
                    self.cross.ya + other.cross.ya,
                    self.cross.aa + other.cross.aa,
                ),
            )
        codes = self.codes + tuple(c for c in other.codes if c not in self.codes)
        out = scoring.Cross.zeros((), len(codes))
        for row in (self, other):
            at = np.array([codes.index(c) for c in row.codes], dtype=int)
            grid = np.ix_(at, at)
            out.yy[grid] += row.cross.yy
            out.ya[grid] += row.cross.ya
            out.aa[grid] += row.cross.aa
        return _Row(codes, out)


def _factor_items(kind: str, version: str) -> tuple[str, ...] | None:
    q = questionnaires.get(kind, version)
    return tuple(item.code for item in q.items) if q is not None else None


def _day(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def first_day(grain: str, day: dt.date) -> dt.date:
    """The bucket of `grain` holding `day`: the Monday of its ISO week, or its month's first day."""
    if grain == "week":
        return day - dt.timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    return day


def _rows_of_answers(
    answers: list[tuple], responses: list[tuple]
) -> dict[tuple[dt.date, Key], _Row]:
    """The cross-products of each (day, key) from the valid answers (response id, code, value)
    and the responses they belong to (id, unit, day, questionnaire, version, channel,
    unofficial), worked in arrays: a week of a province is hundreds of thousands of answers."""
    out: dict[tuple[dt.date, Key], _Row] = {}
    if not answers or not responses:
        return out
    people = np.empty((len(responses), 7), dtype=object)
    people[:] = responses
    ids = people[:, 0].astype(np.int64)
    order = np.argsort(ids)
    people, ids = people[order], ids[order]
    answer = np.empty((len(answers), 3), dtype=object)
    answer[:] = answers
    person = np.searchsorted(ids, answer[:, 0].astype(np.int64))
    values = answer[:, 2].astype(np.int64)
    code_index, code_names = pd.factorize(answer[:, 1])
    form_of_person, forms = pd.factorize(
        pd.Series(people[:, 3]).astype(str) + "|" + pd.Series(people[:, 4]).astype(str)
    )
    cell_of_person, cells = pd.factorize(
        pd.Series(people[:, 1]).astype(str)
        + "|"
        + pd.Series(people[:, 2]).astype(str)
        + "|"
        + pd.Series(people[:, 5]).astype(str)
        + "|"
        + pd.Series(people[:, 6].astype(bool)).astype(str)
    )
    for f, form in enumerate(forms):
        kind, version = str(form).split("|")  # codes hold no "|" (the ingest contract)
        items = _factor_items(kind, version)
        if not items:
            continue  # an unknown questionnaire: its answers score nothing
        column = {code: j for j, code in enumerate(items)}
        col_of_code = np.array([column.get(c, -1) for c in code_names], dtype=np.int64)
        mine = form_of_person[person] == f
        cols = col_of_code[code_index[mine]]
        keep = cols >= 0
        who, cols, vals = person[mine][keep], cols[keep], values[mine][keep]
        if not len(who):
            continue
        members, local = np.unique(who, return_inverse=True)
        answered = np.zeros((len(members), len(items)))
        satisfied = np.zeros((len(members), len(items)))
        answered[local, cols] = 1.0
        satisfied[local, cols] = np.isin(vals, list(questionnaires.SATISFIED)).astype(float)
        cell_ids, cell_local = np.unique(cell_of_person[members], return_inverse=True)
        made = scoring.cross_of(satisfied, answered, cell_local, len(cell_ids))
        first = np.zeros(len(cell_ids), dtype=np.int64)
        first[cell_local[::-1]] = members[::-1]  # a member of each cell: its key's values
        for g, at in enumerate(first):
            r = people[at]
            key = (int(r[1]), kind, version, str(r[5]), bool(r[6]))
            out[(_day(r[2]), key)] = _Row(items, made.take(g))
    return out


def _stored(session: Session, grain: str, bucket: dt.date, keys: Iterable[Key]) -> dict:
    """The rows of `grain` and `bucket` already stored for `keys`, as _Row by key."""
    keys = set(keys)
    if not keys:
        return {}
    t = ReportCross.__table__.c
    found = session.execute(
        sa.select(
            t.unit_id,
            t.questionnaire,
            t.questionnaire_version,
            t.channel,
            t.unofficial,
            t.codes,
            t.data,
        ).where(
            t.grain == grain,
            t.bucket == bucket,
            t.unit_id.in_(sorted({k[0] for k in keys})),
        )
    ).all()
    out = {}
    for unit_id, kind, version, channel, unofficial, codes, data in found:
        key = (int(unit_id), kind, version, channel, bool(unofficial))
        if key not in keys:
            continue
        names = tuple(codes.split(",")) if codes else ()
        packed, good = decode(names, [data])
        if good.all() and len(packed):
            out[key] = _Row(names, unpack(packed[0], len(names)))
    return out


def _write(session: Session, grain: str, bucket: dt.date, rows: dict[Key, _Row]) -> None:
    """Add `rows` to those stored for `grain` and `bucket` (read, add, write)."""
    if not rows:
        return
    stored = _stored(session, grain, bucket, rows)
    totals = {key: stored[key].plus(row) if key in stored else row for key, row in rows.items()}
    by_codes: dict[tuple[str, ...], list[Key]] = defaultdict(list)
    for key, row in totals.items():
        by_codes[row.codes].append(key)
    values = []
    for codes, keys in by_codes.items():
        blobs = pack_many(
            *(np.stack([getattr(totals[k].cross, m) for k in keys]) for m in ("yy", "ya", "aa"))
        )
        text = ",".join(codes)
        values += [
            {
                "grain": grain,
                "unit_id": key[0],
                "bucket": bucket,
                "questionnaire": key[1],
                "questionnaire_version": key[2],
                "channel": key[3],
                "unofficial": key[4],
                "codes": text,
                "data": blob,
            }
            for key, blob in zip(keys, blobs, strict=True)
        ]
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(ReportCross.__table__)
    statement = statement.on_conflict_do_update(
        index_elements=[c.name for c in ReportCross.__table__.primary_key.columns],
        set_={"codes": statement.excluded.codes, "data": statement.excluded.data},
    )
    session.connection().execute(statement, values)


def _flush(session: Session, grain: str, pending: dict, done=lambda bucket: True) -> None:
    for bucket in sorted(b for b in pending if done(b)):
        _write(session, grain, bucket, pending.pop(bucket))


def count_batch(session: Session, batch: str, grains: Sequence[str]) -> None:
    """Add the cross-products of the responses in the temporary table `batch` (one row per
    response: id, unit_id, bucket = its local day, questionnaire, questionnaire_version,
    channel, unofficial) to the stored rows of `grains`, one ISO week of days at a time."""
    days = sorted(
        _day(d)
        for d in session.execute(
            sa.text(f"SELECT DISTINCT bucket FROM {batch}")  # noqa: S608 - a constant name
        ).scalars()
    )
    if not days:
        return
    dialect = session.get_bind().dialect.name
    if len(days) > 1:
        session.execute(sa.text(f"CREATE INDEX ix_{batch}_bucket ON {batch} (bucket)"))
    weeks: dict[dt.date, list[dt.date]] = defaultdict(list)
    for day in days:
        weeks[first_day("week", day)].append(day)
    pending: dict[str, dict[dt.date, dict[Key, _Row]]] = {g: {} for g in grains if g != "day"}
    answers_query = sa.text(
        f"SELECT b.id, a.code, a.value FROM {batch} b "  # noqa: S608
        f"JOIN answers a ON a.response_id = b.id "
        f"WHERE a.value BETWEEN 1 AND 5 AND b.bucket >= :lo AND b.bucket <= :hi"
    )
    responses_query = sa.text(
        f"SELECT id, unit_id, bucket, questionnaire, questionnaire_version, channel, "  # noqa: S608
        f"unofficial FROM {batch} WHERE bucket >= :lo AND bucket <= :hi"
    )
    for monday, week_days in sorted(weeks.items()):
        lo, hi = week_days[0], week_days[-1]
        params = (
            {"lo": lo, "hi": hi}
            if dialect == "postgresql"
            else {
                "lo": lo.isoformat(),
                "hi": hi.isoformat(),
            }
        )
        cells = _rows_of_answers(
            _fetched(session, answers_query, params), _fetched(session, responses_query, params)
        )
        by_day: dict[dt.date, dict[Key, _Row]] = defaultdict(dict)
        for (day, key), row in cells.items():
            by_day[day][key] = row
        for day, rows in sorted(by_day.items()):
            if "day" in grains:
                _write(session, "day", day, rows)
            for grain, open_buckets in pending.items():
                target = open_buckets.setdefault(first_day(grain, day), {})
                for key, row in rows.items():
                    target[key] = target[key].plus(row) if key in target else row
        # A week is complete after its days; a month once the next days are past it.
        following = monday + dt.timedelta(days=7)
        if "week" in pending:
            _flush(session, "week", pending["week"])
        if "month" in pending:
            _flush(session, "month", pending["month"], lambda b, f=following: _next_month(b) <= f)
    for grain, open_buckets in pending.items():
        _flush(session, grain, open_buckets)


def _fetched(session: Session, query, params: dict) -> list[tuple]:
    """Rows straight from the driver: a week of a province is hundreds of thousands of them."""
    result = session.connection().execute(query, params)
    try:
        return result.cursor.fetchall() if result.cursor is not None else []
    finally:
        result.close()


def _next_month(first: dt.date) -> dt.date:
    return (first + dt.timedelta(days=32)).replace(day=1)


def resum(session: Session, grain: str, first: dt.date, following: dt.date) -> None:
    """Make one week's or month's rows (`first` to the day before `following`) again as the sum
    of its days'."""
    t = ReportCross.__table__
    session.execute(sa.delete(t).where(t.c.grain == grain, t.c.bucket == first))
    found = session.execute(
        sa.select(
            t.c.unit_id,
            t.c.questionnaire,
            t.c.questionnaire_version,
            t.c.channel,
            t.c.unofficial,
            t.c.codes,
            t.c.data,
        ).where(t.c.grain == "day", t.c.bucket >= first, t.c.bucket < following)
    ).all()
    rows: dict[Key, _Row] = {}
    for unit_id, kind, version, channel, unofficial, codes, data in found:
        names = tuple(codes.split(",")) if codes else ()
        packed, good = decode(names, [data])
        if not (good.all() and len(packed)):
            continue
        key = (int(unit_id), kind, version, channel, bool(unofficial))
        row = _Row(names, unpack(packed[0], len(names)))
        rows[key] = rows[key].plus(row) if key in rows else row
    _write(session, grain, first, rows)


def delete_day(session: Session, day: dt.date) -> None:
    t = ReportCross.__table__
    session.execute(sa.delete(t).where(t.c.grain == "day", t.c.bucket == day))
