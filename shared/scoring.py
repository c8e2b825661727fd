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
from dataclasses import dataclass, field
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

#: Verdict codes (section 7).
MEETS, MISSES, TOO_CLOSE, TOO_FEW, NO_DATA = "meets", "misses", "too-close", "too-few", "no-data"


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
class Counts:
    """Counts of one kind over some groups (leading shape S): per criterion (S, C), and per
    respondent (S)."""

    satisfied: np.ndarray  #: answers 4-5
    answered: np.ndarray  #: answers 1-5
    no_opinion: np.ndarray  #: answers 0
    value_sum: np.ndarray  #: sum of the answers 1-5
    respondents: np.ndarray  #: responses with at least one answer 1-5 to an item: the n
    all_satisfied: np.ndarray  #: of those, every answer 1-5 to an item is 4-5
    responses: np.ndarray  #: every response, empty ones included

    @classmethod
    def zeros(cls, shape: tuple[int, ...], criteria: int) -> Counts:
        return cls(
            *(np.zeros((*shape, criteria)) for _ in range(4)),
            *(np.zeros(shape) for _ in range(3)),
        )

    def total(self, axis: int = 0) -> Counts:
        """The counts summed over one leading axis (the pooled counts of those groups)."""
        return Counts(**{name: getattr(self, name).sum(axis=axis) for name in _FIELDS})

    def take(self, index: Any) -> Counts:
        return Counts(**{name: getattr(self, name)[index] for name in _FIELDS})


_FIELDS = (
    "satisfied",
    "answered",
    "no_opinion",
    "value_sum",
    "respondents",
    "all_satisfied",
    "responses",
)


def _ratio(part: np.ndarray, whole: np.ndarray, scale: float = 100.0) -> np.ndarray:
    part, whole = np.asarray(part, dtype=float), np.asarray(whole, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(whole > 0, scale * part / np.where(whole > 0, whole, 1), np.nan)


def wilson(successes: np.ndarray, n: np.ndarray, z: float = Z95) -> np.ndarray:
    """Wilson score intervals (section 7), shape (..., 2) in percent; NaN where n is 0.

    z = 1.96 gives 95 %. With 90 % observed: n=30 -> about 74-97, n=100 -> 83-95, n=400 -> 87-93.
    """
    k, n = np.asarray(successes, dtype=float), np.asarray(n, dtype=float)
    safe = np.where(n > 0, n, 1)
    p = np.clip(k / safe, 0.0, 1.0)
    z2 = z * z
    denominator = 1 + z2 / safe
    centre = (p + z2 / (2 * safe)) / denominator
    margin = z * np.sqrt(p * (1 - p) / safe + z2 / (4 * safe * safe)) / denominator
    low = np.where(n > 0, 100 * np.maximum(0.0, centre - margin), np.nan)
    high = np.where(n > 0, 100 * np.minimum(1.0, centre + margin), np.nan)
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
    index: np.ndarray  #: (S,)
    index_ci: np.ndarray  #: (S, 2)
    n: np.ndarray  #: (S,) respondents with an answer 1-5 to an item
    answers: np.ndarray  #: (S,) answers 1-5 to items
    comprehensive: np.ndarray  #: (S,) % of the n satisfied with every item they answered
    comprehensive_ci: np.ndarray  #: (S, 2)


def score_counts(layout: Layout, counts: Counts) -> Scores:
    """Score every group of `counts` by the kind's method."""
    sat = np.asarray(counts.satisfied, dtype=float)
    ans = np.asarray(counts.answered, dtype=float)
    share = _ratio(sat, ans)
    share_ci = wilson(sat, ans)
    masks = layout.masks
    factor_sat, factor_ans = sat @ masks.T, ans @ masks.T
    factor_pooled = _ratio(factor_sat, factor_ans)
    factor = factor_pooled if layout.method == "pooled" else _masked_mean(share, masks)
    weights = index_weights(layout, ans)
    has_data = weights.sum(axis=-1) > 0
    index = np.where(has_data, np.nansum(weights * np.nan_to_num(share), axis=-1), np.nan)
    bounds = np.nan_to_num(share_ci)
    index_ci = np.where(has_data[..., None], np.einsum("...c,...cb->...b", weights, bounds), np.nan)
    return Scores(
        share=share,
        share_ci=share_ci,
        mean=_ratio(counts.value_sum, ans, 1.0),
        factor=factor,
        factor_pooled=factor_pooled,
        factor_mean=_ratio(np.asarray(counts.value_sum, dtype=float) @ masks.T, factor_ans, 1.0),
        factor_answers=factor_ans,
        index=index,
        index_ci=index_ci,
        n=np.asarray(counts.respondents, dtype=float),
        answers=ans.sum(axis=-1),
        comprehensive=_ratio(counts.all_satisfied, counts.respondents),
        comprehensive_ci=wilson(counts.all_satisfied, counts.respondents),
    )


def standard_error(interval: np.ndarray, z: float = Z95) -> np.ndarray:
    """The standard error an interval stands for: its half-width over z."""
    interval = np.asarray(interval, dtype=float)
    return (interval[..., 1] - interval[..., 0]) / (2 * z)


def mean_interval(mean: np.ndarray, errors_squared: np.ndarray, parts: np.ndarray) -> np.ndarray:
    """The interval of a mean of `parts` independent parts whose squared standard errors sum to
    `errors_squared`: mean +- z sqrt(sum) / parts, kept within 0-100."""
    half = Z95 * np.sqrt(errors_squared) / np.where(parts > 0, parts, 1)
    low = np.clip(mean - half, 0.0, 100.0)
    high = np.clip(mean + half, 0.0, 100.0)
    return np.where((parts > 0)[..., None], np.stack([low, high], axis=-1), np.nan)


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


@dataclass(frozen=True)
class RolledUp:
    """Figures of every unit with all below it (units on axis 0)."""

    value: np.ndarray  #: the mean of the parts' values, NaN without any
    error2: np.ndarray  #: the squared standard error of that mean
    parts: np.ndarray  #: parts with data in the mean
    interval: np.ndarray  #: (..., 2): a single part's own interval, else the mean's


def roll_up(tree: Tree, own: np.ndarray, own_interval: np.ndarray | None = None) -> RolledUp:
    """Each unit's figure: the mean of its direct children's rolled-up figures (those with data)
    and its own figure (when it has data), bottom-up. `own` has units on axis 0 and any shape
    after; NaN is "no data". A unit with a single part keeps that part's interval; a mean of
    several parts combines their standard errors as independent samples (`mean_interval`).
    """
    own = np.asarray(own, dtype=float)
    if own_interval is None:
        own_interval = np.stack([own, own], axis=-1)
    own_interval = np.asarray(own_interval, dtype=float)
    has_own = ~np.isnan(own)
    total = np.where(has_own, own, 0.0)
    error_total = np.where(has_own, standard_error(own_interval) ** 2, 0.0)
    bounds_total = np.where(has_own[..., None], own_interval, 0.0)
    parts = has_own.astype(float)
    value = np.full_like(own, np.nan)
    error2 = np.full_like(own, np.nan)
    interval = np.full_like(own_interval, np.nan)
    for level in tree.levels:
        n = parts[level]
        value[level] = _ratio(total[level], n, 1.0)
        error2[level] = _ratio(error_total[level], n**2, 1.0)
        interval[level] = np.where(
            (n == 1)[..., None],
            bounds_total[level],
            mean_interval(value[level], error_total[level], n),
        )
        parents = tree.parent[level]
        up = parents >= 0
        if not up.any():
            continue
        children, parents = level[up], parents[up]
        present = ~np.isnan(value[children])
        np.add.at(total, parents, np.where(present, value[children], 0.0))
        np.add.at(error_total, parents, np.where(present, error2[children], 0.0))
        np.add.at(bounds_total, parents, np.where(present[..., None], interval[children], 0.0))
        np.add.at(parts, parents, present.astype(float))
    return RolledUp(value=value, error2=error2, parts=parts, interval=interval)


def subtree_totals(tree: Tree, counts: Counts) -> Counts:
    """Each unit's counts with those of every unit below it (units on axis 0)."""
    out = {name: np.array(getattr(counts, name), dtype=float) for name in _FIELDS}
    for level in tree.levels:
        parents = tree.parent[level]
        up = parents >= 0
        for name in _FIELDS:
            np.add.at(out[name], parents[up], out[name][level[up]])
    return Counts(**out)


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
    values = [np.nan if v is None else float(v) for v in indices]
    if not values:
        return None
    # A star: one parent (position 0, no data of its own) over the units.
    tree = Tree(np.array([-1] + [0] * len(values)))
    return _none(roll_up(tree, np.array([np.nan, *values])).value[0])


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
