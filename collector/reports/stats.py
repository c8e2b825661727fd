"""The numbers of a report: indices by each kind's method, roll-ups, intervals and verdicts.

The formulas are those of `shared.scoring` (methodology sections 3-5 and 7), written here over
arrays so that a province's week (hundreds of units, tens of thousands of respondents, a thousand
bootstrap resamples each) is scored in well under a second; tests/collector/test_reports_stats.py
checks them against `shared.scoring` on the same data. Wilson intervals and the roll-up mean are
`shared.scoring`'s own.

- Criterion: satisfied share = answers 4-5 / answers 1-5 ("no opinion", 0, is left out).
- SIPAS chain (admin, education): factor index = mean of its criteria's shares; index = mean of
  the factor indices. The overall question is reported apart, not in the chain.
- Pooled (health): index = answers 4-5 / answers 1-5 over every factor item of every respondent;
  comprehensive satisfaction = share of respondents whose every answered item is 4 or 5.
- Roll-up above one unit: the mean of the units' indices (as the national SIPAS is the mean of the
  provinces'); intervals of roll-ups come from a bootstrap that resamples respondents within each
  unit. A single proportion uses the Wilson interval.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from shared import questionnaires
from shared.scoring import rollup_mean

MEETS, MISSES, NOT_ENOUGH = "meets", "misses", "not-enough-data"

#: Targets in percent by kind and the year from which they apply (methodology section 1).
DEFAULT_TARGETS: dict[str, dict[int, float]] = {
    "admin": {2025: 90.0, 2030: 95.0},
    "health": {2025: 85.0, 2030: 90.0},
    "education": {2025: 85.0, 2030: 90.0},
}


def target_for(targets: Mapping[str, Mapping[int | str, float]], kind: str, year: int) -> float:
    """The target in force in `year`: the one of the latest year not after it (else the first)."""
    by_year = {int(y): float(v) for y, v in targets[kind].items()}
    years = sorted(by_year)
    applicable = [y for y in years if y <= year]
    return by_year[applicable[-1] if applicable else years[0]]


def roll_up(values: Sequence[float | None]) -> float | None:
    """The mean of the units' indices, those without data (None or NaN) left out."""
    return rollup_mean(None if v is None or math.isnan(v) else v for v in values)


def verdict(
    index: float | None,
    interval: tuple[float, float] | None,
    n: int,
    target: float,
    min_responses: int,
) -> str:
    """meets / misses / not enough data (too few responses, or the interval contains the target)."""
    if index is None or interval is None or n < min_responses:
        return NOT_ENOUGH
    low, high = interval
    if low > target:
        return MEETS
    if high < target:
        return MISSES
    return NOT_ENOUGH


@dataclass(frozen=True)
class Layout:
    """Which criteria (columns) belong to which factor, for one kind."""

    method: str  #: "sipas" or "pooled"
    criteria: tuple[str, ...]  #: criterion codes, the columns of the matrices
    factor_of: tuple[str, ...]  #: factor code of each criterion
    factors: tuple[str, ...]  #: factor codes in questionnaire order

    @functools.cached_property
    def masks(self) -> np.ndarray:
        return self.factor_masks()

    def factor_masks(self) -> np.ndarray:
        """factors x criteria, 1 where the criterion belongs to the factor."""
        return np.array(
            [[1.0 if f == g else 0.0 for g in self.factor_of] for f in self.factors]
        ).reshape(len(self.factors), len(self.criteria))


def layout_for(kind: str, versions: list[str]) -> tuple[Layout, dict[str, Any]]:
    """The criteria of a kind over the versions present, and texts for them."""
    found = [q for q in (questionnaires.get(kind, v) for v in sorted(set(versions))) if q]
    if not found:
        found = [questionnaires.current(kind)]
    criteria: list[str] = []
    factor_of: list[str] = []
    factors: list[str] = []
    texts: dict[str, Any] = {"factors": {}, "criteria": {}, "overall": None}
    for q in found:
        if q.overall and texts["overall"] is None:
            texts["overall"] = q.overall
        for factor in q.factors:
            if factor.code not in factors:
                factors.append(factor.code)
                texts["factors"][factor.code] = factor.title
            for item in factor.items:
                if item.code not in criteria:
                    criteria.append(item.code)
                    factor_of.append(factor.code)
                    texts["criteria"][item.code] = item.text
    texts["title"] = found[0].title
    texts["own_wording"] = any(q.own_wording for q in found)
    texts["source"] = found[0].source
    return Layout(found[0].method, tuple(criteria), tuple(factor_of), tuple(factors)), texts


def _masked_mean(values: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """For each mask row: the mean of `values` (last axis) under the mask, NaNs skipped."""
    present = ~np.isnan(values)
    totals = np.where(present, values, 0.0) @ masks.T
    counts = present.astype(float) @ masks.T
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, totals / np.maximum(counts, 1), np.nan)


def scores_from_counts(
    layout: Layout, satisfied: np.ndarray, answered: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Index and factor indices (percent) from counts of shape (..., criteria).

    Returns (index of shape (...), factors of shape (..., factors)); NaN where there is no data.
    """
    satisfied = np.asarray(satisfied, dtype=float)
    answered = np.asarray(answered, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = np.where(
            answered > 0, 100.0 * satisfied / np.where(answered > 0, answered, 1), np.nan
        )
    factors = _masked_mean(shares, layout.masks)
    if layout.method == "pooled":
        sat = satisfied.sum(axis=-1)
        ans = answered.sum(axis=-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            index = np.where(ans > 0, 100.0 * sat / np.where(ans > 0, ans, 1), np.nan)
    else:
        index = _masked_mean(factors, np.ones((1, len(layout.factors))))[..., 0]
    return index, factors


def bootstrap_unit_indices(
    layout: Layout,
    satisfied: np.ndarray,
    answered: np.ndarray,
    reps: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """`reps` bootstrap replicates of one unit's index, resampling its respondents.

    `satisfied` and `answered` are respondents x criteria 0/1 matrices. Each replicate draws n
    respondents out of n with replacement; how often each was drawn weighs its answers. Counts
    stay below 2**24, so single precision adds them exactly, and several times faster.
    """
    n = satisfied.shape[0]
    if n == 0:
        return np.full(reps, np.nan)
    drawn = rng.integers(0, n, size=(reps, n)) + (np.arange(reps) * n)[:, None]
    weights = np.bincount(drawn.ravel(), minlength=reps * n).reshape(reps, n)
    weights = weights.astype(np.float32)
    index, _ = scores_from_counts(
        layout,
        weights @ satisfied.astype(np.float32),
        weights @ answered.astype(np.float32),
    )
    return index


def percentile_interval(replicates: np.ndarray) -> tuple[float, float] | None:
    values = replicates[~np.isnan(replicates)]
    if values.size == 0:
        return None
    low, high = np.percentile(values, [2.5, 97.5])
    return (float(low), float(high))
