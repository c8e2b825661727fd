"""Satisfaction scores from answer counts: the one implementation of the formulas, vectorised.

Pure: numpy and the questionnaires only, no web framework, database or pandas. Every report figure
(a unit's index, its factors and criteria, a parent's roll-up, the trend, the channel comparison)
is computed here from counts; the database only counts. Section numbers are those of
docs/methodology.md.

- Answer scale (section 2): 1-5; "satisfied" is 4 or 5; 0 ("not used / no opinion") is left out
  of every denominator.
- Criterion (section 3, formula 1): share = answers 4-5 / answers 1-5, with its Wilson interval.
- SIPAS chain (admin, education; formulas 2-3): factor = mean of its answered criteria's shares;
  index = mean of the factors with data. The overall question is reported apart.
- Pooled (health, section 4): each section's rate and the index = answers 4-5 / answers 1-5 over
  every answered item, so a unit's index is the answer-weighted mean of its sections; mean score
  on 1-5; comprehensive satisfaction = respondents whose every answered item is 4-5.
- Either way the index is a weighted mean of criterion shares with weights summing to 1
  (`index_weights`); its interval is the same weighted mean of the criteria's Wilson intervals
  (section 7: the widest case, as if a respondent's answers all moved together).
- Roll-up (section 3, formulas 4-6): a parent's index and factors are the mean of its parts' (its
  direct children with data, recursively, and its own responses as one more part); its interval
  combines the parts' as independent samples.

Arrays carry any leading shape (units, buckets x units, ...) with criteria on the last axis.
Shares, indices and bounds are percentages; NaN means "no data". The scalar helpers at the end
(`criterion_share`, `index`, `score`, ...) score one set of answers with the same code.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any

import numpy as np

from shared import questionnaires
from shared.questionnaires import NO_OPINION, SATISFIED, VALUES, Questionnaire

#: z of a two-sided 95 % interval.
Z95 = 1.96

#: Question code -> answer value (0-5) -> number of answers.
CountsDict = Mapping[str, Mapping[int, int]]

SCALE = (1, 2, 3, 4, 5)

#: Verdict codes (methodology section 7): the one definition, which the report's model shows.
MEETS = "meets"  #: the whole interval is above the target
MISSES = "misses"  #: the whole interval is below the target
TOO_CLOSE = "too-close"  #: enough responses, and the interval contains the target
TOO_FEW = "too-few"  #: fewer responses with a valid answer than the minimum
NO_DATA = "no-data"  #: nobody gave a valid answer
VERDICTS = (MEETS, MISSES, TOO_CLOSE, TOO_FEW, NO_DATA)


@dataclass(frozen=True)
class Layout:
    """Which criteria (the columns of every array) belong to which factor, for one kind."""

    method: str  #: "sipas" or "pooled"
    criteria: tuple[str, ...]
    factor_of: tuple[str, ...]  #: factor code of each criterion
    factors: tuple[str, ...]  #: factor codes in questionnaire order

    @functools.cached_property
    def masks(self) -> np.ndarray:
        """factors x criteria, 1.0 where the criterion belongs to the factor."""
        return np.array(
            [[1.0 if f == g else 0.0 for g in self.factor_of] for f in self.factors]
        ).reshape(len(self.factors), len(self.criteria))


def layout_for(kind: str, versions: Iterable[str]) -> tuple[Layout, dict[str, Any]]:
    """The criteria of a kind over the questionnaire versions present (the current one if none),
    and their texts (message ids): title, own_wording, source, overall, factors, criteria."""
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


@dataclass(frozen=True)
class Cross:
    """Sums over respondents of products of their answers to two criteria (leading shape S,
    then criteria x criteria): with y_ik = 1 when respondent i answered criterion k 4-5 and
    a_ik = 1 when 1-5 (0 otherwise), `yy` = sum_i y_ik y_il, `ya` = sum_i y_ik a_il and
    `aa` = sum_i a_ik a_il. The diagonals are the criteria's satisfied and valid answers.

    They are sums over people, so they add up over days, units and channels like the counts,
    and they are what the respondent-clustered variance of any weighted mean of criterion shares
    needs (`linear_variance`): how one person's answers move together.
    """

    yy: np.ndarray
    ya: np.ndarray
    aa: np.ndarray

    @classmethod
    def zeros(cls, shape: tuple[int, ...], criteria: int) -> Cross:
        return cls(*(np.zeros((*shape, criteria, criteria)) for _ in range(3)))

    def total(self, axis: int = 0) -> Cross:
        return Cross(self.yy.sum(axis=axis), self.ya.sum(axis=axis), self.aa.sum(axis=axis))

    def take(self, index: Any) -> Cross:
        return Cross(self.yy[index], self.ya[index], self.aa[index])


def segment_sums(rows: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """The sums of consecutive runs of `rows` (2-D) beginning at `starts`: differences of a
    running sum (several times faster than `np.add.reduceat` over many short runs)."""
    if not len(rows):
        return np.zeros((0, *rows.shape[1:]))
    running = np.cumsum(rows, axis=0)
    ends = np.r_[starts[1:], len(rows)] - 1
    out = running[ends]
    out[1:] -= running[ends[:-1]]
    return out


def cross_of(satisfied: np.ndarray, answered: np.ndarray, group: np.ndarray, groups: int) -> Cross:
    """The `Cross` of each of `groups` groups from one row per respondent: `satisfied` and
    `answered` (respondents x criteria, 0/1) and each respondent's group (0..groups-1). The
    respondents are sorted by group and summed group by group, in slices of bounded memory."""
    y = np.asarray(satisfied, dtype=np.float64)
    a = np.asarray(answered, dtype=np.float64)
    group = np.asarray(group, dtype=np.int64)
    criteria = y.shape[1] if y.ndim == 2 else 0
    out = Cross.zeros((groups,), criteria)
    if not len(group):
        return out
    order = np.argsort(group, kind="stable")
    y, a, group = y[order], a[order], group[order]
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    ends = np.r_[starts[1:], len(group)]
    if len(starts) * 8 <= len(group):  # few large groups: one product of matrices each
        for first, last in zip(starts, ends, strict=True):
            g, ys, ans = group[first], y[first:last], a[first:last]
            out.yy[g], out.ya[g], out.aa[g] = ys.T @ ys, ys.T @ ans, ans.T @ ans
        return out
    # Many small groups: each respondent's products, summed per group, by slices.
    size = max(1, 4_000_000 // max(1, criteria * criteria))
    for first in range(0, len(group), size):
        last = min(first + size, len(group))
        cut = starts[(starts >= first) & (starts < last)] - first
        cut = np.r_[0, cut] if not len(cut) or cut[0] != 0 else cut
        ids = group[first + cut]
        ys, ans = y[first:last], a[first:last]
        for target, left, right in ((out.yy, ys, ys), (out.ya, ys, ans), (out.aa, ans, ans)):
            products = (left[:, :, None] * right[:, None, :]).reshape(len(ys), -1)
            sums = segment_sums(products, cut)
            target[ids] += sums.reshape(len(ids), criteria, criteria)  # ids unique: sorted
    return out


@dataclass(frozen=True)
class Counts:
    """Counts of one kind over some groups (leading shape S): per criterion (S, C), per
    respondent (S), and the respondents' cross-products (`Cross`, (S, C, C)) when known."""

    satisfied: np.ndarray  #: answers 4-5
    answered: np.ndarray  #: answers 1-5
    no_opinion: np.ndarray  #: answers 0
    value_sum: np.ndarray  #: sum of the answers 1-5
    respondents: np.ndarray  #: responses with at least one answer 1-5 to an item: the n
    all_satisfied: np.ndarray  #: of those, every answer 1-5 to an item is 4-5
    responses: np.ndarray  #: every response, empty ones included
    #: None when only the counts are known (scalar helpers): figures, but no intervals.
    cross: Cross | None = None

    @classmethod
    def zeros(cls, shape: tuple[int, ...], criteria: int, cross: bool = False) -> Counts:
        return cls(
            *(np.zeros((*shape, criteria)) for _ in range(4)),
            *(np.zeros(shape) for _ in range(3)),
            cross=Cross.zeros(shape, criteria) if cross else None,
        )

    def total(self, axis: int = 0) -> Counts:
        """The counts summed over one leading axis (the pooled counts of those groups)."""
        return Counts(
            **{name: getattr(self, name).sum(axis=axis) for name in _FIELDS},
            cross=None if self.cross is None else self.cross.total(axis),
        )

    def take(self, index: Any) -> Counts:
        return Counts(
            **{name: getattr(self, name)[index] for name in _FIELDS},
            cross=None if self.cross is None else self.cross.take(index),
        )

    def arrays(self) -> list[np.ndarray]:
        """Every array, the cross-products' included: what summing counts must add."""
        extra = [] if self.cross is None else [self.cross.yy, self.cross.ya, self.cross.aa]
        return [getattr(self, name) for name in _FIELDS] + extra


_FIELDS = (
    "satisfied",
    "answered",
    "no_opinion",
    "value_sum",
    "respondents",
    "all_satisfied",
    "responses",
)


def respondent_counts(
    layout: Layout,
    answers: Sequence[Mapping[str, int]],
    group: Sequence[int],
    groups: int,
) -> Counts:
    """`Counts` of `groups` groups, cross-products included, from one answer mapping (question
    code -> 0..5) per response and each response's group: what the report's stored counts hold,
    for a set of responses the counts are not kept by (a dossier's outcome changes after the
    rating). Codes outside the layout (the overall question) are left out."""
    column = {code: j for j, code in enumerate(layout.criteria)}
    values = np.full((len(answers), len(layout.criteria)), -1)
    for i, response in enumerate(answers):
        for code, value in response.items():
            j = column.get(code)
            if j is not None and value is not None:
                values[i, j] = value
    satisfied = np.isin(values, list(SATISFIED))
    answered = np.isin(values, SCALE)
    respondent = answered.any(axis=1)
    at = np.asarray(group, dtype=np.int64)

    def summed(rows: np.ndarray) -> np.ndarray:
        out = np.zeros((groups, *rows.shape[1:]))
        np.add.at(out, at, rows.astype(float))
        return out

    return Counts(
        satisfied=summed(satisfied),
        answered=summed(answered),
        no_opinion=summed(values == NO_OPINION),
        value_sum=summed(np.where(answered, values, 0)),
        respondents=summed(respondent),
        all_satisfied=summed(respondent & ~(answered & ~satisfied).any(axis=1)),
        responses=summed(np.ones(len(answers))),
        cross=cross_of(satisfied, answered, at, groups),
    )


def _ratio(part: np.ndarray, whole: np.ndarray, scale: float = 100.0) -> np.ndarray:
    part, whole = np.asarray(part, dtype=float), np.asarray(whole, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(whole > 0, scale * part / np.where(whole > 0, whole, 1), np.nan)


def wilson(successes: np.ndarray, n: np.ndarray, z: float = Z95) -> np.ndarray:
    """Wilson score intervals (section 7), shape (..., 2) in percent; NaN where n is 0.

    z = 1.96 gives 95 %. With 90 % observed: n=30 -> about 74-97, n=100 -> 83-95, n=400 -> 87-93.
    `n` may be an effective sample size (not a whole number): `survey_interval`.
    """
    k, n = np.asarray(successes, dtype=float), np.asarray(n, dtype=float)
    present = np.nan_to_num(n) > 0
    safe = np.where(present, n, 1)
    p = np.clip(np.nan_to_num(k) / safe, 0.0, 1.0)
    z2 = z * z
    denominator = 1 + z2 / safe
    centre = (p + z2 / (2 * safe)) / denominator
    margin = z * np.sqrt(p * (1 - p) / safe + z2 / (4 * safe * safe)) / denominator
    low = np.where(present, 100 * np.maximum(0.0, centre - margin), np.nan)
    high = np.where(present, 100 * np.minimum(1.0, centre + margin), np.nan)
    return np.stack([low, high], axis=-1)


def _masked_mean(values: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """For each mask row: the mean of `values` (last axis) under the mask, NaNs skipped."""
    present = ~np.isnan(values)
    totals = np.where(present, values, 0.0) @ masks.T
    counts = present.astype(float) @ masks.T
    return _ratio(totals, counts, 1.0)


def index_weights(layout: Layout, answered: np.ndarray) -> np.ndarray:
    """The weight of each criterion's share in the index, (..., C), summing to 1 where there is
    data (0 elsewhere).

    SIPAS: each factor with data weighs 1/F, shared equally by its answered criteria, so the
    weighted mean is the mean of factor means. Pooled: each criterion weighs its answers, so the
    weighted mean is answers 4-5 over answers 1-5.
    """
    answered = np.asarray(answered, dtype=float)
    if layout.method == "pooled":
        total = answered.sum(axis=-1, keepdims=True)
        return np.where(total > 0, answered / np.where(total > 0, total, 1), 0.0)
    has = (answered > 0).astype(float)
    per_factor = has @ layout.masks.T  # answered criteria per factor
    factors_with_data = (per_factor > 0).sum(axis=-1, keepdims=True)
    # criterion -> number of answered criteria in its factor
    in_factor = per_factor @ layout.masks
    with np.errstate(invalid="ignore", divide="ignore"):
        weights = has / np.where(in_factor > 0, in_factor, 1) / np.maximum(factors_with_data, 1)
    return np.where(factors_with_data > 0, weights, 0.0)


def factor_weights(layout: Layout, answered: np.ndarray) -> np.ndarray:
    """The weight of each criterion's share in each factor, (..., F, C), each factor's summing to
    1 where it has data: its answered criteria equally (SIPAS), or by their answers (pooled)."""
    answered = np.asarray(answered, dtype=float)[..., None, :] * layout.masks
    if layout.method != "pooled":
        answered = (answered > 0).astype(float)
    total = answered.sum(axis=-1, keepdims=True)
    return np.where(total > 0, answered / np.where(total > 0, total, 1), 0.0)


# -- respondent-clustered variance and intervals (section 7) -----------------------------------


def linear_terms(
    weights: np.ndarray, shares: np.ndarray, answered: np.ndarray, *, pooled: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """The coefficients of each respondent's contribution z_i = sum_k d_k y_ik - (d q)_k a_ik to
    a weighted mean of criterion shares (`linear_variance`): d_k = w_k / N_k, and q_k the
    criterion's share (pooled: the pooled share itself). `weights` (..., C) or (..., F, C)."""
    answered = np.asarray(answered, dtype=float)
    extra = np.ndim(weights) - np.ndim(answered)
    if extra:
        answered = np.expand_dims(answered, -2)
    with np.errstate(invalid="ignore", divide="ignore"):
        d = np.where(answered > 0, weights / np.where(answered > 0, answered, 1), 0.0)
    p = np.nan_to_num(np.asarray(shares, dtype=float) / 100.0)
    if extra:
        p = np.expand_dims(p, -2)
    if pooled:  # the pooled share itself: sum_k w_k p_k with w_k = N_k / N
        p = np.sum(weights * p, axis=-1, keepdims=True)
    return d, d * np.broadcast_to(p, d.shape)


def sum_of_squares(d: np.ndarray, dq: np.ndarray, products: Cross) -> np.ndarray:
    """sum_i z_i^2 = d'YY d - 2 d'YA (d q) + (d q)'AA (d q), from the cross-products; `d`, `dq`
    of shape (..., C) or (..., F, C) against products (..., C, C)."""
    single = d.ndim == products.yy.ndim - 1
    if single:
        d, dq = d[..., None, :], dq[..., None, :]
    out = (
        ((d @ products.yy) * d).sum(axis=-1)
        - 2.0 * ((d @ products.ya) * dq).sum(axis=-1)
        + ((dq @ products.aa) * dq).sum(axis=-1)
    )
    return out[..., 0] if single else out


def linear_variance(
    weights: np.ndarray, shares: np.ndarray, counts: Counts, *, pooled: bool = False
) -> np.ndarray:
    """The linearised (Taylor) variance of a weighted mean of criterion shares, the respondent
    being the unit of sampling (section 7; Wolter 2007, ch. 6; Lohr 2019, ch. 9): as fractions
    squared, NaN where it cannot be estimated (no cross-products, or fewer than 2 respondents).

    The estimate is sum_k w_k S_k / N_k (shares S/N, weights w fixed: SIPAS) or, `pooled`,
    sum_k S_k / sum_k N_k (health). Each respondent i contributes
    z_i = sum_k d_k (y_ik - q_k a_ik), with d_k = w_k / N_k and q_k the criterion's share (or,
    pooled, the pooled share itself); the variance is n / (n - 1) sum_i z_i^2 (with n the
    respondents), which the cross-products give without the respondents:
    d'YY d - 2 d'YA (d q) + (d q)'AA (d q) (`sum_of_squares`).

    `weights` and `shares` (in percent) have the counts' shape (..., C) or, for several
    figures at once (the factors), (..., F, C).
    """
    if counts.cross is None:
        return np.full(np.shape(weights)[:-1], np.nan)
    d, dq = linear_terms(weights, shares, counts.answered, pooled=pooled)
    return _with_n(
        sum_of_squares(d, dq, counts.cross),
        counts.respondents,
        np.ndim(d) > np.ndim(counts.answered),
    )


def _with_n(square: np.ndarray, respondents: np.ndarray, per_factor: bool) -> np.ndarray:
    """n / (n - 1) times a sum of squares; NaN below 2 respondents."""
    n = np.asarray(respondents, dtype=float)
    if per_factor:
        n = np.expand_dims(n, -1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 1, np.maximum(square, 0.0) * n / np.where(n > 1, n - 1, 1), np.nan)


#: Student's t quantiles of a two-sided 95 % interval for 1 to 4 degrees of freedom; from 5 on,
#: the Cornish-Fisher expansion below is within 0.15 % of the exact value.
_T975_SMALL = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776}


def t975(df: np.ndarray) -> np.ndarray:
    """Student's t quantile of a two-sided 95 % interval for `df` degrees of freedom (Cornish-
    Fisher expansion, Abramowitz and Stegun 26.7.5); 1.96 as df grows."""
    df = np.maximum(np.asarray(df, dtype=float), 1.0)
    z = Z95
    value = (
        z
        + (z**3 + z) / (4 * df)
        + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)
        + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * df**3)
    )
    for small, exact in _T975_SMALL.items():
        value = np.where((df >= small - 0.5) & (df < small + 0.5), exact, value)
    return value


def survey_interval(value: np.ndarray, variance: np.ndarray, n: np.ndarray) -> np.ndarray:
    """The 95 % interval of a share-like figure (`value` in percent) from its variance (as
    fractions squared) and its respondents `n` (section 7): symmetric on the logit scale,
    logit(p) +- t(n - 1) sqrt(variance) / (p (1 - p)), back to percent. So it stays inside 0-100
    and is not symmetric near the ends, with the design's degrees of freedom for small samples
    (as survey software does for a proportion: Korn and Graubard 1999, ch. 5; Stata's
    `svy: proportion`).

    Where the variance says nothing (the figure is 0 or 100 %, every answer alike; or it could
    not be estimated), the interval is Wilson's with `n`: as if all of a respondent's answers
    moved together, the widest case.
    """
    p = np.asarray(value, dtype=float) / 100.0
    variance = np.asarray(variance, dtype=float)
    n = np.asarray(n, dtype=float)
    usable = (np.nan_to_num(variance) > 0) & (p > 0) & (p < 1)
    safe_p = np.where(usable, p, 0.5)
    with np.errstate(invalid="ignore", divide="ignore"):
        spread = t975(n - 1) * np.sqrt(np.where(usable, variance, 0.0)) / (safe_p * (1 - safe_p))
    centre = np.log(safe_p / (1 - safe_p))
    with np.errstate(over="ignore"):  # a bound beyond e^709 away is 0 or 100, as it should be
        logit = 100.0 / (1.0 + np.exp(-np.stack([centre - spread, centre + spread], axis=-1)))
    widest = wilson(np.nan_to_num(p) * n, np.where(np.isnan(p), 0.0, n))
    return np.where(usable[..., None], logit, widest)


def carried_variance(value: np.ndarray, variance: np.ndarray, n: np.ndarray) -> np.ndarray:
    """The variance a figure brings into a mean of parts: its own, or where that says nothing
    (see `survey_interval`) the one its interval stands for, (half-width / z)^2; 0 without data."""
    value = np.asarray(value, dtype=float)
    interval = survey_interval(value, variance, n)
    implied = ((interval[..., 1] - interval[..., 0]) / 200.0 / Z95) ** 2
    p = value / 100.0
    usable = (np.nan_to_num(variance) > 0) & (p > 0) & (p < 1)
    return np.nan_to_num(np.where(usable, variance, implied))


@dataclass(frozen=True)
class Scores:
    """Everything scored from one `Counts` (leading shape S)."""

    share: np.ndarray  #: (S, C) criterion shares
    share_ci: np.ndarray  #: (S, C, 2) Wilson
    mean: np.ndarray  #: (S, C) mean answer 1-5
    factor: np.ndarray  #: (S, F) by the method: mean of shares (SIPAS), pooled rate (health)
    factor_pooled: np.ndarray  #: (S, F) answers 4-5 / answers 1-5 over the factor's items
    factor_mean: np.ndarray  #: (S, F) mean answer 1-5 over the factor's items
    factor_answers: np.ndarray  #: (S, F)
    factor_variance: np.ndarray  #: (S, F) respondent-clustered, fractions squared
    factor_ci: np.ndarray  #: (S, F, 2)
    index: np.ndarray  #: (S,)
    index_variance: np.ndarray  #: (S,) respondent-clustered, fractions squared
    index_ci: np.ndarray  #: (S, 2)
    n: np.ndarray  #: (S,) respondents with an answer 1-5 to an item
    answers: np.ndarray  #: (S,) answers 1-5 to items
    comprehensive: np.ndarray  #: (S,) % of the n satisfied with every item they answered
    comprehensive_ci: np.ndarray  #: (S, 2)


def score_counts(layout: Layout, counts: Counts, factor_spread: bool = True) -> Scores:
    """Score every group of `counts` by the kind's method; intervals need `counts.cross`
    (`factor_spread=False`: the index's interval only, the factors' left out, as a trend needs)."""
    sat = np.asarray(counts.satisfied, dtype=float)
    ans = np.asarray(counts.answered, dtype=float)
    share = _ratio(sat, ans)
    masks = layout.masks
    factor_sat, factor_ans = sat @ masks.T, ans @ masks.T
    factor_pooled = _ratio(factor_sat, factor_ans)
    pooled = layout.method == "pooled"
    factor = factor_pooled if pooled else _masked_mean(share, masks)
    weights = index_weights(layout, ans)
    has_data = weights.sum(axis=-1) > 0
    index = np.where(has_data, np.nansum(weights * np.nan_to_num(share), axis=-1), np.nan)
    n = np.asarray(counts.respondents, dtype=float)
    index_variance = linear_variance(weights, share, counts, pooled=pooled)
    if factor_spread:
        factor_variance = linear_variance(factor_weights(layout, ans), share, counts, pooled=pooled)
    else:
        factor_variance = np.full(factor.shape, np.nan)
    return Scores(
        share=share,
        share_ci=wilson(sat, ans),
        mean=_ratio(counts.value_sum, ans, 1.0),
        factor=factor,
        factor_pooled=factor_pooled,
        factor_mean=_ratio(np.asarray(counts.value_sum, dtype=float) @ masks.T, factor_ans, 1.0),
        factor_answers=factor_ans,
        factor_variance=factor_variance,
        factor_ci=_interval_or_nan(factor, factor_variance, n[..., None], counts)
        if factor_spread
        else np.full((*factor.shape, 2), np.nan),
        index=index,
        index_variance=index_variance,
        index_ci=_interval_or_nan(index, index_variance, n, counts),
        n=n,
        answers=ans.sum(axis=-1),
        comprehensive=_ratio(counts.all_satisfied, counts.respondents),
        comprehensive_ci=wilson(counts.all_satisfied, counts.respondents),
    )


def _interval_or_nan(value, variance, n, counts: Counts) -> np.ndarray:
    if counts.cross is None:
        return np.full((*np.shape(value), 2), np.nan)
    return survey_interval(value, variance, n)


def more_responses_needed(
    value: float | None, variance: float | None, n: int, target: float
) -> int | None:
    """For a figure too close to call: about how many more responses would settle it if the
    share stayed as it is (section 7). On the scale of the interval (logit), the variance falls
    in proportion to the responses, so the interval leaves the target once
    t^2 v_L n / (n + more) < (logit p - logit T)^2, with v_L = variance / (p (1 - p))^2. None
    when the share is the target (no number of responses settles it) or nothing is known."""
    if value is None or variance is None or n <= 0 or math.isnan(variance) or variance <= 0:
        return None
    p, t = value / 100.0, target / 100.0
    if not (0 < p < 1 and 0 < t < 1) or p == t:
        return None
    gap = math.log(p / (1 - p)) - math.log(t / (1 - t))
    spread = float(t975(n - 1)) ** 2 * variance / (p * (1 - p)) ** 2
    return max(1, math.ceil(n * spread / (gap * gap)) - n)


# -- breakdowns: a pooled share per group, clustered by response -------------------------------


@dataclass(frozen=True)
class RatioCounts:
    """Per group (shape S): responses m, and over them the sums of each response's satisfied
    answers s_i and valid answers n_i, and of s_i^2, s_i n_i and n_i^2."""

    responses: np.ndarray
    satisfied: np.ndarray
    answered: np.ndarray
    satisfied_sq: np.ndarray
    cross: np.ndarray
    answered_sq: np.ndarray


def ratio_share(counts: RatioCounts) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pooled share R = sum s / sum n of each group (percent), its respondent-clustered
    variance (the linearised variance of a ratio: m / (m - 1) sum_i (s_i - R n_i)^2 / N^2,
    fractions squared) and its 95 % interval (`survey_interval`)."""
    s = np.asarray(counts.satisfied, dtype=float)
    a = np.asarray(counts.answered, dtype=float)
    m = np.asarray(counts.responses, dtype=float)
    share = _ratio(s, a)
    r = np.nan_to_num(share / 100.0)
    square = counts.satisfied_sq - 2 * r * counts.cross + r * r * counts.answered_sq
    with np.errstate(invalid="ignore", divide="ignore"):
        variance = np.where(
            (m > 1) & (a > 0),
            np.maximum(square, 0.0) / np.where(a > 0, a * a, 1) * m / np.where(m > 1, m - 1, 1),
            np.nan,
        )
    return share, variance, survey_interval(share, variance, m)


@dataclass(frozen=True)
class Funnel:
    """Control limits around a target for groups of any size (Spiegelhalter 2005): a group of
    n responses is expected within target +- z sqrt(phi T (1 - T) / (n m)), m the mean valid
    answers per response and phi the design effect of the scope's responses (how much one
    person's answers move together), estimated from every group of the scope."""

    target: float  #: percent
    answers_per_response: float
    design_effect: float

    def limits(self, responses: np.ndarray, z: float) -> np.ndarray:
        """(lower, upper) in percent for groups of `responses`, kept within 0-100."""
        t = self.target / 100.0
        n = np.maximum(np.asarray(responses, dtype=float), 1.0)
        half = z * np.sqrt(self.design_effect * t * (1 - t) / (n * self.answers_per_response))
        return 100 * np.stack([np.maximum(t - half, 0.0), np.minimum(t + half, 1.0)], axis=-1)


#: z of the 95 % and 99.8 % two-sided control limits of a funnel plot.
Z95_LIMIT, Z998_LIMIT = Z95, 3.09


def funnel(counts: RatioCounts, target: float) -> Funnel:
    """The funnel of a set of groups (the sums over all of them give the scope's answers per
    response and design effect; 1 when it cannot be estimated, never below 1)."""
    total = RatioCounts(
        *(np.asarray(getattr(counts, f.name), dtype=float).sum() for f in fields(counts))
    )
    share, variance, _ = ratio_share(total)
    answers = float(total.answered)
    per_response = answers / float(total.responses) if total.responses else 1.0
    p = float(share) / 100.0 if not math.isnan(float(share)) else math.nan
    effect = 1.0
    if answers and 0 < p < 1 and not math.isnan(float(variance)):
        effect = max(1.0, float(variance) * answers / (p * (1 - p)))
    return Funnel(
        target=float(target), answers_per_response=max(per_response, 1.0), design_effect=effect
    )


# -- roll-ups above one unit (sections 5 and 7) ------------------------------------------------


@dataclass(frozen=True)
class Tree:
    """Units as positions 0..U-1 with the position of each one's parent (-1: none in the tree)."""

    parent: np.ndarray  #: (U,) int

    @functools.cached_property
    def levels(self) -> list[np.ndarray]:
        """Positions grouped by depth, deepest first."""
        parent = self.parent
        depth = np.zeros(len(parent), dtype=int)
        for position in range(len(parent)):
            node, steps = position, 0
            while parent[node] >= 0 and steps <= len(parent):
                node, steps = parent[node], steps + 1
            depth[position] = steps
        return [np.flatnonzero(depth == d) for d in range(int(depth.max(initial=0)), -1, -1)]

    @functools.cached_property
    def below(self) -> list[np.ndarray]:
        """Each unit's subtree: its position and those of every unit below it."""
        members: list[list[int]] = [[p] for p in range(len(self.parent))]
        for level in self.levels:  # deepest first: a child's list is whole before its parent's
            for child in level:
                if self.parent[child] >= 0:
                    members[self.parent[child]].extend(members[child])
        return [np.sort(np.asarray(m, dtype=int)) for m in members]

    def subtree_sums(self, array: np.ndarray) -> np.ndarray:
        """`array` (U, ...) summed over each unit's subtree: level by level from the deepest,
        each unit's sum added into its parent's (a unit has few ancestors: this costs a few
        passes over the array, not a product with a U x U matrix)."""
        out = np.array(array, dtype=float, copy=True)
        for level in self.levels:
            parents = self.parent[level]
            up = parents >= 0
            if up.any():
                np.add.at(out, parents[up], out[level[up]])
        return out

    def children_sums(self, array: np.ndarray) -> np.ndarray:
        """`array` (U, ...) summed over each unit's direct children."""
        out = np.zeros(np.shape(array), dtype=float)
        child = np.flatnonzero(self.parent >= 0)
        np.add.at(out, self.parent[child], np.asarray(array, dtype=float)[child])
        return out


def subtree_totals(tree: Tree, counts: Counts) -> Counts:
    """Each unit's counts with those of every unit below it (units on axis 0)."""
    return _counts_from(
        [tree.subtree_sums(a) for a in counts.arrays()],
        counts.cross is not None,
    )


def _counts_from(arrays: list[np.ndarray], cross: bool) -> Counts:
    fields_ = dict(zip(_FIELDS, arrays, strict=False))
    return Counts(**fields_, cross=Cross(*arrays[len(_FIELDS) :]) if cross else None)


@dataclass(frozen=True)
class RolledUp:
    """Every unit's figures with all below it (units on axis 0, then the counts' groups): the
    mean of its parts (section 5), with the parts below the minimum pooled into one."""

    value: np.ndarray  #: (U, G) the index: the mean of the parts' indices; NaN without data
    variance: np.ndarray  #: (U, G) of that mean, fractions squared
    interval: np.ndarray  #: (U, G, 2)
    parts: np.ndarray  #: (U, G) parts in the mean (the pooled part counting as one)
    factor: np.ndarray  #: (U, G, F) each factor: the mean of the parts' factor figures
    factor_variance: np.ndarray  #: (U, G, F)
    factor_interval: np.ndarray  #: (U, G, F, 2)
    factor_parts: np.ndarray  #: (U, G, F)
    #: (U, G) True where the unit (with all below it) has fewer respondents than the minimum
    #: and went into its parent's pooled part instead of being a part of its own.
    pooled: np.ndarray
    #: (U, G) True where the unit's own responses are fewer than the minimum, beside units with
    #: data below it, and so in its own pooled part.
    own_pooled: np.ndarray
    pool_n: np.ndarray  #: (U, G) respondents of the unit's pooled part (0: none)
    pool_weight: np.ndarray  #: (U, G) its weight in the unit's mean (`pool_weight`)
    pool_index: np.ndarray  #: (U, G) the pooled part's index
    pool_interval: np.ndarray  #: (U, G, 2)


@dataclass(frozen=True)
class _Part:
    """A part of a mean, for every unit and group: index, carried variance, interval, and the
    same per factor."""

    index: np.ndarray
    variance: np.ndarray
    interval: np.ndarray
    factor: np.ndarray
    factor_variance: np.ndarray
    factor_interval: np.ndarray


def _pools(
    tree: Tree,
    layout: Layout,
    counts: Counts,
    pooled: np.ndarray,
    own_pooled: np.ndarray,
    factor_spread: bool = True,
) -> tuple[_Part, np.ndarray]:
    """Each unit's pooled part (units on axis 0, groups after): its pooled children's and (when
    few) its own responses added up and scored as one, a sample stratified by unit (each unit's
    own mean of z taken out: sum_h sum_i (z_i - mean_h z)^2, from each unit's S_h and N_h:
    sum_i z_i over unit h is d'S_h - (d q)'N_h). Returns the parts and their respondents. Every
    group's pools are scored at once."""
    units, groups = pooled.shape
    factors = len(layout.factors)
    part = _Part(
        index=np.full((units, groups), np.nan),
        variance=np.zeros((units, groups)),
        interval=np.full((units, groups, 2), np.nan),
        factor=np.full((units, groups, factors), np.nan),
        factor_variance=np.zeros((units, groups, factors)),
        factor_interval=np.full((units, groups, factors, 2), np.nan),
    )
    held_n = np.zeros((units, groups))
    # (owner, group, member) for every unit whose own responses are in a pool: each pooled
    # child with all below it goes to its parent's pool; a unit's own few to its own.
    child, child_g = np.nonzero(pooled)
    own, own_g = np.nonzero(own_pooled)
    if not len(child) and not len(own):
        return part, held_n
    sizes = np.array([len(tree.below[c]) for c in child], dtype=int)
    owner = np.r_[np.repeat(tree.parent[child], sizes), own]
    group = np.r_[np.repeat(child_g, sizes), own_g]
    member = np.r_[np.concatenate([tree.below[c] for c in child]) if len(child) else [], own]
    member = member.astype(int)
    key = owner * groups + group
    order = np.argsort(key, kind="stable")
    key, owner, group, member = key[order], owner[order], group[order], member[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    local = np.cumsum(np.r_[False, key[1:] != key[:-1]])
    pool_owner, pool_group = owner[starts], group[starts]

    def summed(array: np.ndarray) -> np.ndarray:
        rows = np.asarray(array, dtype=float)[member, group]
        flat = segment_sums(rows.reshape(len(rows), -1), starts)
        return flat.reshape((len(starts), *rows.shape[1:]))

    held = _counts_from([summed(a) for a in counts.arrays()], counts.cross is not None)
    scores = score_counts(layout, held, factor_spread=False)
    n = np.asarray(held.respondents, dtype=float)
    held_n[pool_owner, pool_group] = n
    at = (pool_owner, pool_group)
    part.index[at] = np.where(n > 0, scores.index, np.nan)
    part.factor[at] = scores.factor
    if held.cross is None:  # figures without intervals
        return part, held_n
    _pool_spread(part, at, layout, counts, held, scores, (member, group, local), factor_spread)
    return part, held_n


def _pool_spread(part: _Part, at, layout, counts, held, scores, where, factor_spread) -> None:
    """The pooled parts' variances and intervals (the index's, and the factors' when
    `factor_spread`), as a sample stratified by unit: `where` gives each member's row (member,
    group) and its pool (local)."""
    member, group, local = where
    pools = len(held.respondents)
    n = np.asarray(held.respondents, dtype=float)
    # The strata's part of the sum of squares, taken out: (sum of z over unit h)^2 / n_h.
    s_h = np.asarray(counts.satisfied, float)[member, group]
    a_h = np.asarray(counts.answered, float)[member, group]
    n_h = np.asarray(counts.respondents, dtype=float)[member, group]
    inverse = np.where(n_h > 0, 1.0 / np.where(n_h > 0, n_h, 1), 0.0)
    method = layout.method == "pooled"
    d, dq = linear_terms(
        index_weights(layout, held.answered), scores.share, held.answered, pooled=method
    )
    sums = (d[local] * s_h).sum(axis=-1) - (dq[local] * a_h).sum(axis=-1)
    strata = np.bincount(local, weights=sums**2 * inverse, minlength=pools)
    index_var = _with_n(
        sum_of_squares(d, dq, held.cross) - strata, held.respondents, per_factor=False
    )
    part.variance[at] = carried_variance(scores.index, index_var, n)
    part.interval[at] = survey_interval(scores.index, index_var, n)
    if not factor_spread:
        return
    fd, fdq = linear_terms(
        factor_weights(layout, held.answered), scores.share, held.answered, pooled=method
    )
    f_sums = (fd[local] * s_h[:, None, :]).sum(axis=-1) - (fdq[local] * a_h[:, None, :]).sum(
        axis=-1
    )
    f_strata = np.zeros((pools, len(layout.factors)))
    np.add.at(f_strata, local, f_sums**2 * inverse[:, None])
    factor_var = _with_n(
        sum_of_squares(fd, fdq, held.cross) - f_strata, held.respondents, per_factor=True
    )
    part.factor_variance[at] = carried_variance(scores.factor, factor_var, n[:, None])
    part.factor_interval[at] = survey_interval(scores.factor, factor_var, n[:, None])


@dataclass
class _PartSums:
    """What the parts bring to each unit (units on axis 0, groups, then factors if any): the sum
    of their weights, of their weighted figures, of their squared weights x variances and of
    their intervals' bounds (which a single part keeps), and their number."""

    weights: np.ndarray
    total: np.ndarray
    variance: np.ndarray
    bounds: np.ndarray
    parts: np.ndarray

    @classmethod
    def zeros(cls, shape: tuple[int, ...]) -> _PartSums:
        return cls(*(np.zeros(shape) for _ in range(3)), np.zeros((*shape, 2)), np.zeros(shape))

    def add(self, on, w, index, variance, interval) -> None:
        """Add a part to every unit where `on` (its weight `w`)."""
        w = np.broadcast_to(np.asarray(w, dtype=float), on.shape)
        self.weights += np.where(on, w, 0.0)
        self.total += np.where(on, w * np.nan_to_num(index), 0.0)
        self.variance += np.where(on, w * w * np.nan_to_num(variance), 0.0)
        self.bounds += np.where(on[..., None], np.nan_to_num(interval), 0.0)
        self.parts += on

    def add_up(self, parents, on, value, variance, interval) -> None:
        """Add the children's figures (weight 1 each) to their parents where `on`."""
        for target, source in (
            (self.weights, on.astype(float)),
            (self.total, np.where(on, value, 0.0)),
            (self.variance, np.where(on, variance, 0.0)),
            (self.parts, on.astype(float)),
            (self.bounds, np.where(on[..., None], np.nan_to_num(interval), 0.0)),
        ):
            np.add.at(target, parents, source)

    def figures(self, level, n, has_cross: bool):
        """The mean of the parts of the units `level`: value, variance and interval."""
        value = _ratio(self.total[level], self.weights[level], 1.0)
        variance = _ratio(self.variance[level], self.weights[level] ** 2, 1.0)
        bounds = _part_or_mean(self.parts[level], self.bounds[level], value, variance, n, has_cross)
        return value, variance, bounds


def roll_up(
    tree: Tree, layout: Layout, counts: Counts, min_n: float = 0, factor_spread: bool = True
) -> RolledUp:
    """Each unit's index and factors with everything below it, bottom-up (sections 5 and 7).

    A unit without units with data below it has its own figures. Otherwise its figure is the
    mean of its parts: each direct child (with all below it) having at least `min_n`
    respondents, its own responses if at least `min_n`, and one pooled part holding every child
    and own responses below `min_n` together (their counts summed and scored as one), so that
    a handful of responses never weighs as much as a large unit and no response is dropped.
    Every part weighs 1, but a pooled part still below `min_n` weighs n / `min_n` (`pool_weight`).
    The pooled part is a sample stratified by unit (`_pools`). The parts are independent
    samples: the mean sum_j w_j x_j / sum_j w_j has variance sum_j w_j^2 v_j / (sum_j w_j)^2
    (`carried_variance` for each part), and its interval is `survey_interval` with the unit's
    respondents; a unit with a single part keeps that part's interval. `factor_spread=False`
    leaves the factors' variances and intervals out (NaN): a trend needs the index's only.
    """
    own = score_counts(layout, counts, factor_spread)
    n_own = np.asarray(counts.respondents, dtype=float)
    n_sub = tree.subtree_sums(n_own)
    has_data = n_sub > 0
    kids = tree.children_sums(has_data) > 0
    pooled = (tree.parent >= 0)[:, None] & has_data & (n_sub < min_n)
    own_pooled = kids & (n_own > 0) & (n_own < min_n)
    own_part = (n_own > 0) & (~kids | (n_own >= min_n))
    has_cross = counts.cross is not None
    pool, pool_n = _pools(tree, layout, counts, pooled, own_pooled, factor_spread)
    weight = pool_weight(pool_n, min_n)
    shape, factors = n_own.shape, len(layout.factors)
    # The own part and the pooled part now; the children level by level below.
    sums, f_sums = _PartSums.zeros(shape), _PartSums.zeros((*shape, factors))
    for on, w, part in (
        (own_part, np.ones(shape), _own_part(own, n_own)),
        (pool_n > 0, weight, pool),
    ):
        on = on & ~np.isnan(part.index)
        sums.add(on, w, part.index, part.variance, part.interval)
        f_on = on[..., None] & ~np.isnan(part.factor)
        f_sums.add(f_on, w[..., None], part.factor, part.factor_variance, part.factor_interval)
    value, variance = np.full(shape, np.nan), np.full(shape, np.nan)
    factor, factor_var = np.full((*shape, factors), np.nan), np.full((*shape, factors), np.nan)
    interval, factor_interval = np.full((*shape, 2), np.nan), np.full((*shape, factors, 2), np.nan)
    for level in tree.levels:
        value[level], variance[level], interval[level] = sums.figures(
            level, n_sub[level], has_cross
        )
        factor[level], factor_var[level], factor_interval[level] = f_sums.figures(
            level, n_sub[level][..., None], has_cross
        )
        # Up to the parents: a child with enough respondents is a part (the small ones are in
        # their parent's pooled part already).
        parents = tree.parent[level]
        up = parents >= 0
        if not up.any():
            continue
        children, parents = level[up], parents[up]
        big = has_data[children] & ~pooled[children]
        f_on = big[..., None] & ~np.isnan(factor[children])
        sums.add_up(parents, big, value[children], variance[children], interval[children])
        f_sums.add_up(
            parents, f_on, factor[children], factor_var[children], factor_interval[children]
        )
    nan_pair = np.full((*shape, 2), np.nan)
    return RolledUp(
        value=value,
        variance=variance if has_cross else np.full(shape, np.nan),
        interval=interval,
        parts=sums.parts,
        factor=factor,
        factor_variance=factor_var if has_cross else np.full_like(factor, np.nan),
        factor_interval=factor_interval,
        factor_parts=f_sums.parts,
        pooled=pooled,
        own_pooled=own_pooled,
        pool_n=pool_n,
        pool_weight=np.where(pool_n > 0, weight, 0.0),
        pool_index=pool.index,
        pool_interval=pool.interval if has_cross else nan_pair,
    )


def _own_part(own: Scores, n_own: np.ndarray) -> _Part:
    """Each unit's own responses as a part of its mean."""
    return _Part(
        index=own.index,
        variance=carried_variance(own.index, own.index_variance, n_own),
        interval=own.index_ci,
        factor=own.factor,
        factor_variance=carried_variance(own.factor, own.factor_variance, n_own[..., None]),
        factor_interval=own.factor_ci,
    )


def pool_weight(respondents: np.ndarray, min_n: float) -> np.ndarray:
    """The weight of a pooled part in its parent's mean: 1 like any part once it holds the
    minimum of respondents, n / minimum below it, so that a pool of a handful of responses
    never weighs as much as a unit of hundreds (section 5)."""
    n = np.asarray(respondents, dtype=float)
    if min_n <= 0:
        return np.ones_like(n)
    return np.minimum(1.0, n / float(min_n))


def _part_or_mean(parts, bounds, value, variance, n, has_cross: bool) -> np.ndarray:
    """A single part's own interval, or the interval of a mean of several parts."""
    if not has_cross:
        return np.full((*np.shape(value), 2), np.nan)
    mean = survey_interval(value, variance, n)
    return np.where((parts == 1)[..., None], bounds, mean)


def mean_of_parts(values: Iterable[float | None]) -> float | None:
    """The mean of the parts' figures with data (section 5): Hà Nội 2024, 86.51 and 86.49 ->
    86.50; the national SIPAS, the mean of the provinces'."""
    present = [float(v) for v in values if v is not None and not math.isnan(float(v))]
    return sum(present) / len(present) if present else None


def verdict(
    index: float | None,
    interval: Sequence[float] | None,
    n: int,
    target: float,
    min_responses: int,
) -> str:
    """Section 7: too few responses (below the minimum, whatever the interval); then meets (the
    whole interval above the target), misses (the whole interval below), or too close to call."""
    if n == 0 or index is None or interval is None or math.isnan(index):
        return NO_DATA
    if n < min_responses:
        return TOO_FEW
    low, high = interval
    if low > target:
        return MEETS
    if high < target:
        return MISSES
    return TOO_CLOSE


def target_for(targets: Mapping[str, Mapping[int | str, float]], kind: str, year: int) -> float:
    """The target in force in `year`: that of the latest year not after it (else the first)."""
    by_year = {int(y): float(v) for y, v in targets[kind].items()}
    years = sorted(by_year)
    applicable = [y for y in years if y <= year]
    return by_year[applicable[-1] if applicable else years[0]]


# One set of answers, scored by the same code: for a reader, and the hand-worked tests.


def count_answers(responses: Iterable[Mapping[str, int | None]]) -> dict[str, dict[int, int]]:
    """Tally responses (question code -> answer) into counts per code and value.

    A missing question or `None` was not answered (partial responses count for the questions
    they have, section 8). A value outside 0-5 is an error, not something to skip silently.
    """
    counts: dict[str, dict[int, int]] = {}
    for response in responses:
        for code, value in response.items():
            if value is None:
                continue
            if value not in VALUES:
                raise ValueError(f"answer {value!r} to {code} is not one of {VALUES}")
            per_value = counts.setdefault(code, {})
            per_value[value] = per_value.get(value, 0) + 1
    return counts


def _layout_of(q: Questionnaire) -> Layout:
    if q.method not in questionnaires.METHODS:
        raise ValueError(f"unknown scoring method {q.method!r}")
    return Layout(
        q.method,
        tuple(item.code for item in q.items),
        tuple(item.factor for item in q.items),
        tuple(f.code for f in q.factors),
    )


def counts_of(layout: Layout, counts: CountsDict, responses: int = 0) -> Counts:
    """`Counts` of one group from per-code tallies (respondent counts left at 0 but `responses`)."""

    def per_code(pick) -> np.ndarray:
        return np.array([float(pick(counts.get(code, {}))) for code in layout.criteria])

    return Counts(
        satisfied=per_code(lambda v: sum(n for value, n in v.items() if value in SATISFIED)),
        answered=per_code(lambda v: sum(n for value, n in v.items() if value in SCALE)),
        no_opinion=per_code(lambda v: v.get(NO_OPINION, 0)),
        value_sum=per_code(lambda v: sum(value * n for value, n in v.items() if value in SCALE)),
        respondents=np.array(0.0),
        all_satisfied=np.array(0.0),
        responses=np.array(float(responses)),
    )


def _none(value: float) -> float | None:
    value = float(value)
    return None if math.isnan(value) else value


def _single(code: str) -> Layout:
    return Layout("sipas", (code,), ("",), ("",))


def criterion_share(values_count: Mapping[int, int]) -> float | None:
    """Satisfied share of one question: 100 x answers 4-5 / answers 1-5 (None without any)."""
    layout = _single("X")
    return _none(score_counts(layout, counts_of(layout, {"X": values_count})).share[0])


def _scores(
    q: Questionnaire, counts: CountsDict, method: str | None = None
) -> tuple[Layout, Scores]:
    layout = _layout_of(q)
    if method is not None:
        layout = Layout(method, layout.criteria, layout.factor_of, layout.factors)
    return layout, score_counts(layout, counts_of(layout, counts))


def factor_index(q: Questionnaire, counts: CountsDict, factor_code: str) -> float | None:
    """A factor's SIPAS index: the mean of its answered criteria's shares (formula 2)."""
    layout, s = _scores(q, counts, "sipas")
    return _none(s.factor[layout.factors.index(factor_code)])


def sipas_index(q: Questionnaire, counts: CountsDict) -> float | None:
    """The SIPAS chain's index: the mean of the factor indices with data (formula 3)."""
    _, s = _scores(q, counts, "sipas")
    return _none(s.index)


def pooled_rate(
    q: Questionnaire, counts: CountsDict, factor_code: str | None = None
) -> float | None:
    """Health's rate: answers 4-5 over answers 1-5 of every item (or of one section's items)."""
    layout, s = _scores(q, counts, "pooled")
    if factor_code is None:
        return _none(s.index)
    return _none(s.factor_pooled[layout.factors.index(factor_code)])


def mean_score(
    q: Questionnaire, counts: CountsDict, factor_code: str | None = None
) -> float | None:
    """Mean answer on 1-5 over the items of one section, or of all (section 4)."""
    layout, s = _scores(q, counts)
    if factor_code is None:
        c = counts_of(layout, counts)
        return _none(_ratio(c.value_sum.sum(), c.answered.sum(), 1.0))
    return _none(s.factor_mean[layout.factors.index(factor_code)])


def comprehensive_share(
    q: Questionnaire, responses: Iterable[Mapping[str, int | None]]
) -> float | None:
    """Respondents whose every answered item (1-5) is 4 or 5, over those who answered an item."""
    codes = [item.code for item in q.items]
    considered = satisfied = 0
    for response in responses:
        answered = [v for v in (response.get(code) for code in codes) if v in SCALE]
        if answered:
            considered += 1
            satisfied += all(v in SATISFIED for v in answered)
    return _none(_ratio(np.array(satisfied), np.array(considered)))


def index(q: Questionnaire, counts: CountsDict) -> float | None:
    """The questionnaire's headline index by its method."""
    _, s = _scores(q, counts)
    return _none(s.index)


def rollup_mean(indices: Iterable[float | None]) -> float | None:
    """Index of a group of units: the mean of the units' indices, those without data skipped
    (Hà Nội 2024: 86.51 and 86.49 -> 86.50; national = mean of the provinces)."""
    return mean_of_parts(indices)


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """Wilson score interval of one proportion, in percent (None when n is 0)."""
    if n < 0 or not 0 <= successes <= n:
        raise ValueError(f"need 0 <= successes <= n, not {successes} of {n}")
    if n == 0:
        return None
    low, high = wilson(np.array(successes), np.array(n), z)
    return float(low), float(high)


@dataclass(frozen=True)
class CriterionScore:
    code: str
    factor: str  #: factor code ("" for the overall question)
    share: float | None
    n: int  #: answers 1-5
    no_opinion: int


@dataclass(frozen=True)
class FactorScore:
    code: str
    index: float | None  #: by the method
    mean: float | None
    n: int


@dataclass(frozen=True)
class Score:
    """One questionnaire and one set of answers, scored."""

    kind: str
    version: str
    method: str
    index: float | None
    overall: CriterionScore | None
    criteria: Mapping[str, CriterionScore] = field(hash=False)
    factors: Mapping[str, FactorScore] = field(hash=False)
    mean: float | None
    responses: int | None
    answers: int  #: answers 1-5 to any question, the overall one included
    no_opinion: int


def score(q: Questionnaire, counts: CountsDict, *, responses: int | None = None) -> Score:
    """Score one set of answers: per criterion, per factor, the index and the overall question.
    Answers to codes the questionnaire does not have are ignored."""
    layout, s = _scores(q, counts)
    c = counts_of(layout, counts)
    criteria = {
        code: CriterionScore(
            code, layout.factor_of[j], _none(s.share[j]), int(c.answered[j]), int(c.no_opinion[j])
        )
        for j, code in enumerate(layout.criteria)
    }
    overall = None
    if q.overall:
        tally = counts.get(q.overall.code, {})
        overall = CriterionScore(
            q.overall.code,
            "",
            criterion_share(tally),
            sum(n for v, n in tally.items() if v in SCALE),
            tally.get(NO_OPINION, 0),
        )
    factors = {
        code: FactorScore(
            code, _none(s.factor[f]), _none(s.factor_mean[f]), int(s.factor_answers[f])
        )
        for f, code in enumerate(layout.factors)
    }
    every = [*criteria.values(), *([overall] if overall else [])]
    return Score(
        kind=q.kind,
        version=q.version,
        method=q.method,
        index=_none(s.index),
        overall=overall,
        criteria=MappingProxyType(criteria),
        factors=MappingProxyType(factors),
        mean=mean_score(q, counts),
        responses=responses,
        answers=sum(x.n for x in every),
        no_opinion=sum(x.no_opinion for x in every),
    )
