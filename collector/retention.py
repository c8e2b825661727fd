"""What the collector keeps, and for how long (docs/retention.md describes the policy).

- Free-text comments: RETENTION_COMMENT_MONTHS (default 24) after the rating, then blanked. The
  rating itself stays; its hash was checked on arrival and its chain status is kept, but the hash
  can no longer be recomputed from the row.
- Responses and their answers: RETENTION_RESPONSE_MONTHS (0, the default: kept for ever, until the
  province sets the legal period it must keep them for), then deleted. Report counts already made
  from them stay, so past reports keep their figures.
- Export files: EXPORT_KEEP_HOURS (default 24), then deleted; files left by a crash too.

Applied by the hourly retention job (collector.tasks) and by `sipas collector retention apply`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from collector.models import Answer, Response
from collector.reports.exports import expire_job, expired_files, orphan_files


@dataclass
class RetentionResult:
    comments_blanked: int = 0
    responses_deleted: int = 0
    files_deleted: int = 0
    deleted_paths: list[Path] = field(default_factory=list)


def months_before(moment: dt.datetime, months: int) -> dt.datetime:
    """The same day and time `months` calendar months earlier (the month's last day if shorter)."""
    month_index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    for day in range(moment.day, 0, -1):
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def apply_retention(
    session: Session,
    config: Mapping[str, Any],
    exports_directory: Path,
    now: dt.datetime,
    *,
    dry_run: bool = False,
) -> RetentionResult:
    """Blank old comments, delete old responses and old export files; flushes, never commits.

    With `dry_run`, counts what would go and changes nothing.
    """
    result = RetentionResult()
    comment_months = int(config["RETENTION_COMMENT_MONTHS"] or 0)
    if comment_months > 0:
        old = sa.and_(
            Response.comment.is_not(None),
            Response.submitted_at < months_before(now, comment_months),
        )
        if dry_run:
            result.comments_blanked = session.scalar(
                sa.select(sa.func.count()).select_from(Response).where(old)
            )
        else:
            result.comments_blanked = session.execute(
                sa.update(Response).where(old).values(comment=None)
            ).rowcount
    response_months = int(config["RETENTION_RESPONSE_MONTHS"] or 0)
    if response_months > 0:
        old_ids = sa.select(Response.id).where(
            Response.submitted_at < months_before(now, response_months)
        )
        if dry_run:
            result.responses_deleted = session.scalar(
                sa.select(sa.func.count()).select_from(old_ids.subquery())
            )
        else:
            session.execute(sa.delete(Answer).where(Answer.response_id.in_(old_ids)))
            result.responses_deleted = session.execute(
                sa.delete(Response).where(Response.id.in_(old_ids))
            ).rowcount
    jobs = expired_files(session, config, now)
    cutoff = now - dt.timedelta(hours=float(config["EXPORT_KEEP_HOURS"]))
    orphans = orphan_files(session, exports_directory, cutoff)
    result.files_deleted = len(jobs) + len(orphans)
    result.deleted_paths = [exports_directory / f"{job.id}.xlsx" for job in jobs] + orphans
    if not dry_run:
        for job in jobs:
            expire_job(session, job, exports_directory)
        for path in orphans:
            path.unlink(missing_ok=True)
    session.flush()
    return result
