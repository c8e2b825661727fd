"""Loading what a report is computed from: `load_report_data` reads the counts of any period
(`collector.reports.data.ReportData`). Queries only; no figure is computed here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from collector.accounts.scope import subtree_ids
from collector.counts.refresh import GROUP_VALUES
from collector.models import ReportCount, ReportCross, ReportGroupCount, Unit
from collector.periods import Period
from collector.receipts.report import load_receipts
from collector.reports.data import COUNT_COLUMNS, DIMENSIONS, ReportData
from collector.reports.lineage import lineage_of
from collector.reports.listed import (
    COMMENT_COLUMNS,
    LEFT_OUT_COLUMNS,
    comment_rows,
    left_out_rows,
)


def load_units(session: Session, root_id: int) -> pd.DataFrame:
    ids = subtree_ids(session, [root_id])
    rows = session.execute(
        sa.select(Unit.id, Unit.code, Unit.name, Unit.kind, Unit.parent_id).where(Unit.id.in_(ids))
    ).all()
    frame = pd.DataFrame(rows, columns=["id", "code", "name", "kind", "parent_id"])
    return frame.sort_values("code", kind="stable").reset_index(drop=True)


_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class _Piece:
    """Part of a segment served by one grain: buckets `first` to `last` (inclusive)."""

    segment: int
    grain: str
    first: dt.date
    last: dt.date


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


def _monday_on_or_after(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=(7 - day.weekday()) % 7)


def _weeks_and_days(segment: int, start: dt.date, end: dt.date) -> list[_Piece]:
    """The days from `start` to `end` as whole ISO weeks (weekly counts, buckets their Mondays)
    and the days around them (daily counts)."""
    first_week = _monday_on_or_after(start)
    after_weeks = end + _DAY - dt.timedelta(days=(end + _DAY).weekday())
    if first_week >= after_weeks:
        return [_Piece(segment, "day", start, end)]
    pieces = []
    if start < first_week:
        pieces.append(_Piece(segment, "day", start, first_week - _DAY))
    pieces.append(_Piece(segment, "week", first_week, after_weeks - dt.timedelta(days=7)))
    if after_weeks <= end:
        pieces.append(_Piece(segment, "day", after_weeks, end))
    return pieces


def _pieces(segment: int, start: dt.date, end: dt.date) -> list[_Piece]:
    """The days from `start` to `end` as whole months (monthly counts), whole ISO weeks in what
    is left (weekly counts) and the days around those (daily counts)."""
    first_month = start if start.day == 1 else _next_month(start)
    after_months = (end + _DAY).replace(day=1)  # the first day after the last whole month
    if first_month >= after_months:
        return _weeks_and_days(segment, start, end)
    pieces = []
    if start < first_month:
        pieces += _weeks_and_days(segment, start, first_month - _DAY)
    last_month = (after_months - _DAY).replace(day=1)
    pieces.append(_Piece(segment, "month", first_month, last_month))
    if after_months <= end:
        pieces += _weeks_and_days(segment, after_months, end)
    return pieces


def segments(buckets: list[Period]) -> tuple[list[tuple[dt.date, dt.date]], pd.DataFrame]:
    """The buckets cut at every bucket's bounds into disjoint segments (start, end inclusive),
    and which segments make up each bucket (a frame: segment, bucket)."""
    bounds = sorted({b.start for b in buckets} | {b.end + _DAY for b in buckets})
    spans = [
        (lo, hi - _DAY)
        for lo, hi in zip(bounds, bounds[1:], strict=False)
        if any(b.start <= lo and hi - _DAY <= b.end for b in buckets)
    ]
    membership = [
        (s, i)
        for i, b in enumerate(buckets)
        for s, (lo, hi) in enumerate(spans)
        if b.start <= lo and hi <= b.end
    ]
    return spans, pd.DataFrame(membership, columns=["segment", "bucket"])


def _counts_query(
    table, pieces: list[_Piece], ids: list[int], columns, values, where=(), always_sum=False
):
    """One SELECT per piece, labelled with the piece's segment, all of them in one UNION ALL:
    a piece of one bucket reads its rows as they are (the caller sums them per segment: no sort
    in the database), a piece of several buckets (or any piece, `always_sum`) sums `values` per
    `columns`."""
    c = table.c
    # The ids are integers from the database: written into the SQL, they cost nothing to bind
    # (hundreds of expanded parameters in each of a dozen SELECTs would).
    in_ids = sa.text(f"{table.name}.unit_id IN ({', '.join(str(int(i)) for i in ids)})")
    selects = []
    for piece in pieces:
        label = sa.literal(piece.segment, sa.Integer).label("segment")
        keys = [c[name] for name in columns]
        if piece.first == piece.last and not always_sum:
            select = sa.select(label, *keys, *[c[name] for name in values]).where(
                c.grain == piece.grain, in_ids, c.bucket == piece.first, *where
            )
        else:
            select = (
                sa.select(
                    label,
                    *keys,
                    *[sa.cast(sa.func.sum(c[name]), sa.BigInteger).label(name) for name in values],
                )
                .where(
                    c.grain == piece.grain,
                    in_ids,
                    c.bucket.between(piece.first, piece.last),
                    *where,
                )
                .group_by(*keys)
            )
        selects.append(select)
    return sa.union_all(*selects) if len(selects) > 1 else selects[0]


def _fetch(session: Session, query, names: list[str], ints=(), bools=()) -> pd.DataFrame:
    """The rows of `query` as a frame, read straight from the driver's cursor (tens of thousands
    of count rows: the result layer's per-row work would cost more than the query)."""
    result = session.connection().execute(query)
    try:
        rows = result.cursor.fetchall() if result.cursor is not None else []
    finally:
        result.close()
    # One object matrix, sliced into columns: no Python work per row.
    matrix = np.empty((len(rows), len(names)), dtype=object)
    if rows:
        matrix[:] = rows
    data = {}
    for i, name in enumerate(names):
        column = matrix[:, i]
        if name in ints:
            data[name] = column.astype(np.int64)
        elif name in bools:
            data[name] = column.astype(bool)
        else:
            data[name] = column
    return pd.DataFrame(data, columns=names)


def _int_columns(frame: pd.DataFrame, names) -> pd.DataFrame:
    for name in names:
        frame[name] = frame[name].astype("int64")
    return frame


def bucket_counts(
    session: Session, ids: list[int], buckets: list[Period], include_unofficial: bool
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, list[str]], dict[str, list[str]]]:
    """The counts of `buckets` (bucket index, kind, unit_id, code + COUNT_COLUMNS, versions and
    channels summed; the left-out responses only when included) and those of the first bucket
    per channel, official responses only whatever the reader includes (channel, kind,
    unit_id, code + COUNT_COLUMNS), in one query, with the versions seen in any bucket and in
    the period."""
    spans, membership = segments(buckets)
    pieces = [p for s, (lo, hi) in enumerate(spans) for p in _pieces(s, lo, hi)]
    columns = [
        "segment",
        "kind",
        "version",
        "channel",
        "unofficial",
        "unit_id",
        "code",
        *COUNT_COLUMNS,
    ]
    if pieces and ids:
        raw = _fetch(
            session,
            _counts_query(
                ReportCount.__table__,
                pieces,
                ids,
                [
                    "questionnaire",
                    "questionnaire_version",
                    "channel",
                    "unofficial",
                    "unit_id",
                    "code",
                ],
                COUNT_COLUMNS,
            ),
            columns,
            ints={"segment", "unit_id", *COUNT_COLUMNS},
            bools={"unofficial"},
        )
    else:
        raw = _int_columns(pd.DataFrame(columns=columns), ["segment", "unit_id", *COUNT_COLUMNS])
        raw["unofficial"] = raw["unofficial"].astype(bool)
    shown = raw if include_unofficial else raw[~raw["unofficial"]]
    versions: dict[str, list[str]] = {}
    seen = shown[["kind", "version"]].drop_duplicates()
    for kind, version in sorted(zip(seen["kind"], seen["version"], strict=True)):
        versions.setdefault(kind, []).append(version)
    merged = raw.merge(membership, on="segment")
    counted = merged if include_unofficial else merged[~merged["unofficial"]]
    counts = counted.groupby(["bucket", "kind", "unit_id", "code"], as_index=False, sort=True)[
        COUNT_COLUMNS
    ].sum()
    # The first bucket's segments cover it exactly: its channels come from the same rows. The
    # channel comparison is of official responses only, even when the reader includes the
    # left-out ones (methodology section 9).
    channel_counts = _int_columns(
        merged[(merged["bucket"] == 0) & ~merged["unofficial"]]
        .groupby(["channel", "kind", "unit_id", "code"], as_index=False, sort=True)[COUNT_COLUMNS]
        .sum(),
        ["unit_id", *COUNT_COLUMNS],
    )
    in_period = counted[counted["bucket"] == 0][["kind", "version"]].drop_duplicates()
    period_versions: dict[str, list[str]] = {}
    for kind, version in sorted(zip(in_period["kind"], in_period["version"], strict=True)):
        period_versions.setdefault(kind, []).append(version)
    return counts, channel_counts, versions, period_versions


#: Breakdowns shown for the whole scope only (the heatmap, the reasons): read summed over units.
SCOPE_DIMENSIONS = ("hour", "reason")

CROSS_COLUMNS = ["bucket", "kind", "version", "channel", "unit_id", "unofficial", "codes", "data"]


def cross_rows(
    session: Session, ids: list[int], buckets: list[Period], which: list[int]
) -> pd.DataFrame:
    """The stored cross-products (`ReportCross`) of the buckets numbered `which`, one row per
    stored row and bucket it serves (bucket, kind, version, channel, unit_id, unofficial,
    codes, data): they are summed in Python (`collector.counts.cross`), not in SQL."""
    wanted = [buckets[i] for i in which]
    spans, membership = segments(wanted)
    pieces = [p for s, (lo, hi) in enumerate(spans) for p in _pieces(s, lo, hi)]
    names = ["segment", "kind", "version", "channel", "unit_id", "unofficial", "codes", "data"]
    if not pieces or not ids:
        return pd.DataFrame(columns=CROSS_COLUMNS)
    t = ReportCross.__table__
    c = t.c
    in_ids = sa.text(f"{t.name}.unit_id IN ({', '.join(str(int(i)) for i in ids)})")
    selects = [
        sa.select(
            sa.literal(piece.segment, sa.Integer).label("segment"),
            c.questionnaire,
            c.questionnaire_version,
            c.channel,
            c.unit_id,
            c.unofficial,
            c.codes,
            c.data,
        ).where(c.grain == piece.grain, in_ids, c.bucket.between(piece.first, piece.last))
        for piece in pieces
    ]
    query = sa.union_all(*selects) if len(selects) > 1 else selects[0]
    raw = _fetch(session, query, names, ints={"segment", "unit_id"}, bools={"unofficial"})
    merged = raw.merge(membership, on="segment")
    merged["bucket"] = np.asarray(which, dtype=np.int64)[merged["bucket"].to_numpy(dtype=int)]
    return merged[CROSS_COLUMNS]


@dataclass(frozen=True)
class _Totals:
    """The left-out responses and the comments of the period, counted from the group counts."""

    suspect: int
    broken: int
    left_out: int
    suspect_by_channel: dict[tuple[str, str], int]
    comments: int


def _group_counts(
    session: Session, ids: list[int], period: Period, include_unofficial: bool
) -> tuple[pd.DataFrame, _Totals]:
    """The period's group counts (channel, counter, procedure, officer... per unit; hours and
    reasons for the whole scope) and the totals of its left-out responses and comments."""
    # What is only about the period reads it whole: a quarter is three monthly buckets.
    period_pieces = _pieces(0, period.start, period.end)
    groups_t = ReportGroupCount.__table__

    group_values = list(GROUP_VALUES)
    names = ["segment", "kind", "dimension", "value", "unofficial", "unit_id", *group_values]
    per_unit = _fetch(
        session,
        _counts_query(
            groups_t,
            period_pieces,
            ids,
            ["questionnaire", "dimension", "value", "unofficial", "unit_id"],
            group_values,
            where=[groups_t.c.dimension.not_in(SCOPE_DIMENSIONS)],
        ),
        names,
        ints={"segment", "unit_id", *group_values},
        bools={"unofficial"},
    )
    # The hours and the reasons are read for the whole scope, summed over its units in SQL: a
    # year of a province holds half a million monthly rows of them, per unit and hour.
    scope_names = [n for n in names if n != "unit_id"]
    in_scope = _fetch(
        session,
        _counts_query(
            groups_t,
            period_pieces,
            ids,
            ["questionnaire", "dimension", "value", "unofficial"],
            group_values,
            where=[groups_t.c.dimension.in_(SCOPE_DIMENSIONS)],
            always_sum=True,
        ),
        scope_names,
        ints={"segment", *group_values},
        bools={"unofficial"},
    ).assign(unit_id=0)
    grouped = pd.concat([per_unit, in_scope[names]], ignore_index=True)
    keys = ["kind", "dimension", "value", "unit_id"]
    shown = grouped[grouped["dimension"].isin(DIMENSIONS)]
    if not include_unofficial:
        shown = shown[~shown["unofficial"]]
    groups = shown.groupby(keys, as_index=False, sort=True)[group_values].sum()

    # Totals of the left-out responses and of the comments, from the group counts.
    left = grouped[(grouped["dimension"] == "left-out") & grouped["unofficial"]]
    suspect_by_channel: dict[tuple[str, str], int] = {}
    suspect = broken = 0
    for (kind, value), n in left.groupby(["kind", "value"])["responses"].sum().items():
        channel, _, cause = str(value).rpartition("/")
        if cause == "suspect":
            suspect += int(n)
            suspect_by_channel[(kind, channel)] = suspect_by_channel.get((kind, channel), 0) + int(
                n
            )
        else:
            broken += int(n)
    unofficial_total = int(
        grouped.loc[(grouped["dimension"] == "channel") & grouped["unofficial"], "responses"].sum()
    )
    commented = grouped[grouped["dimension"] == "comment"]
    if not include_unofficial:
        commented = commented[~commented["unofficial"]]
    comments_total = int(commented["responses"].sum())
    return groups, _Totals(suspect, broken, unofficial_total, suspect_by_channel, comments_total)


def load_report_data(
    session: Session,
    root_id: int,
    period: Period,
    include_unofficial: bool = False,
    limit: int = 300,
) -> ReportData:
    """Everything a report of `period` for the unit `root_id` and everything below it is computed
    from, read from the counts (`refresh_counts` must have brought them up to date) and, for the
    comments and the left-out list, from at most a few windows of responses."""
    units = load_units(session, root_id)
    buckets = [period, period.previous(), *period.trend_buckets()]
    # Units that ceased are read as the units that follow them (collector.reports.lineage).
    lineage = lineage_of(session, units, period, buckets)
    ids = lineage.read_ids(int(i) for i in units["id"])
    counts, channel_counts, versions, period_versions = bucket_counts(
        session, ids, buckets, include_unofficial
    )
    # The previous period serves only its index (the change): no interval, no cross-products.
    cross = cross_rows(session, ids, buckets, [i for i in range(len(buckets)) if i != 1])
    if not include_unofficial:
        cross = cross[~cross["unofficial"]]
    groups, totals = _group_counts(session, ids, period, include_unofficial)
    left_out = (
        left_out_rows(session, ids, period, limit)
        if totals.left_out
        else pd.DataFrame(columns=LEFT_OUT_COLUMNS)
    )
    comments = (
        comment_rows(session, ids, period, limit, include_unofficial)
        if totals.comments
        else pd.DataFrame(columns=COMMENT_COLUMNS)
    )
    data = ReportData(
        period=period,
        root_id=root_id,
        units=units,
        versions=versions,
        period_versions=period_versions,
        buckets=buckets,
        counts=counts,
        channel_counts=channel_counts,
        cross=cross,
        groups=groups,
        left_out=left_out,
        left_out_suspect=totals.suspect,
        left_out_broken=totals.broken,
        left_out_total=totals.left_out,
        suspect_by_channel=totals.suspect_by_channel,
        comments=comments,
        comments_total=totals.comments,
        receipts=load_receipts(session, ids, period.start_utc(), period.end_utc()),
    )
    return lineage.apply(data)
