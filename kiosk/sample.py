"""Sample ratings taken at a kiosk's counters: for the demo, the tests and the benchmarks."""

from __future__ import annotations

import datetime as dt
import random

from flask import Flask

from kiosk import db
from kiosk.models import COMPLETE
from kiosk.survey import Rules, close_response, start_response
from shared import questionnaires

#: Weights of the answers 5, 4, 3, 2, 1, 0: mostly satisfied, as in published SIPAS results.
WEIGHTS = (40, 38, 12, 5, 3, 2)


def take_sample_ratings(
    app: Flask, count: int, *, seed: int = 0, end: dt.datetime | None = None, every_minutes=30
) -> int:
    """Store `count` closed responses (short questionnaires), ending `end`; returns the count."""
    rng = random.Random(seed)  # noqa: S311 - sample data
    rules = Rules(guard_seconds=0, burst_size=0)
    end = end or dt.datetime.now(dt.UTC)
    with app.app_context():
        session = db.session()
        counters = list(app.extensions["kiosk_counters"].values())
        start = end - dt.timedelta(minutes=every_minutes * count)
        for n in range(count):
            counter = counters[n % len(counters)]
            q = questionnaires.current(counter.kinds[n % len(counter.kinds)], "short")
            answers = {
                item.code: rng.choices((5, 4, 3, 2, 1, 0), WEIGHTS)[0] for item in q.questions
            }
            at = start + dt.timedelta(minutes=every_minutes * n + rng.randrange(every_minutes))
            response = start_response(
                session,
                counter=counter,
                questionnaire=q,
                answers=answers,
                nonce=f"sample-{seed}-{n}",
                now=at,
                rules=rules,
            )
            close_response(
                session, response, COMPLETE, now=at + dt.timedelta(seconds=40), rules=rules
            )
            if n % 500 == 499:
                session.commit()
        session.commit()
    return count
