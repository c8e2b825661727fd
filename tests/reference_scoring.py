"""The formulas written plainly, one set of answers at a time: the oracle that `shared.scoring`
(the vectorised implementation the product uses) is checked against, in
tests/collector/test_reports_parts.py. Tallying answers (`count_answers`) is shared.scoring's own.

Satisfaction scores from answer counts: pure functions, no web framework, no database, no pandas.

Formulas and section numbers are those of the methodology reference (methodology.md, the facts
the product must honour):

- the answer scale (section 2): 1-5, "satisfied" means 4 or 5, 0 ("not used / no opinion") is left
  out of every denominator;
- SIPAS, used for administrative services and for education (sections 3 and 5): criterion share ->
  factor index (mean of its criteria) -> index (mean of the factors);
- the Ministry of Health's survey tool (section 4): a rate pooled over every answered item,
  the share of respondents satisfied with everything they answered, mean scores on 1-5;
- roll-ups above one unit are means of the units' indices (section 3, formulas 4-6);
- intervals (section 7): Wilson for one proportion, a bootstrap over respondents for an index.

Shares, indices and interval bounds are percentages (0-100). `None` means "no data": a criterion
nobody answered on the scale, or a factor none of whose criteria was answered; means skip it.
"""

from __future__ import annotations

import itertools
import math
import random
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from shared.questionnaires import NO_OPINION, SATISFIED, Item, Questionnaire
from shared.scoring import count_answers

#: Question code -> answer value (0-5) -> number of answers.
Counts = Mapping[str, Mapping[int, int]]

SCALE = (1, 2, 3, 4, 5)


def _mean(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return math.fsum(present) / len(present) if present else None


def _scale_answers(values_count: Mapping[int, int]) -> int:
    return sum(n for value, n in values_count.items() if value in SCALE)


def _satisfied_answers(values_count: Mapping[int, int]) -> int:
    return sum(n for value, n in values_count.items() if value in SATISFIED)


def criterion_share(values_count: Mapping[int, int]) -> float | None:
    """Satisfied share of one question: 100 x answers of 4-5 / answers of 1-5.

    Methodology section 3, formula 1; "no opinion" (0) is excluded from the denominator
    (section 2). `None` when nobody answered on the 1-5 scale.
    """
    answered = _scale_answers(values_count)
    if not answered:
        return None
    return 100 * _satisfied_answers(values_count) / answered


def _items(q: Questionnaire, factor_code: str | None) -> tuple[Item, ...]:
    return q.items if factor_code is None else q.factor(factor_code).items


def factor_index(q: Questionnaire, counts: Counts, factor_code: str) -> float | None:
    """Index of one factor: the mean of its criteria's satisfied shares (section 3, formula 2).

    Criteria nobody answered are left out of the mean; `None` when none was answered.
    """
    return _mean(criterion_share(counts.get(item.code, {})) for item in q.factor(factor_code).items)


def sipas_index(q: Questionnaire, counts: Counts) -> float | None:
    """SIPAS index of the service-delivery part: the mean of the factor indices.

    Methodology section 3, formula 3 (checked against the 2018 figures, formula 6); also the
    method for education (section 5). Factors with no data are left out of the mean.
    """
    return _mean(factor_index(q, counts, factor.code) for factor in q.factors)


def pooled_rate(q: Questionnaire, counts: Counts, factor_code: str | None = None) -> float | None:
    """Health's overall satisfaction rate: answers of 4-5 over all answered items (section 4).

    Pooled over the items of sections A-E (the overall question is not one of them), not a mean
    of section rates; with `factor_code`, the same pooled rate within one section. "No opinion"
    is excluded. `None` when no item was answered on the 1-5 scale.
    """
    answered = satisfied = 0
    for item in _items(q, factor_code):
        values_count = counts.get(item.code, {})
        answered += _scale_answers(values_count)
        satisfied += _satisfied_answers(values_count)
    return 100 * satisfied / answered if answered else None


def mean_score(q: Questionnaire, counts: Counts, factor_code: str | None = None) -> float | None:
    """Mean answer on the 1-5 scale over the items of one section, or of all sections.

    Methodology section 4 ("mean score per section and overall"); every answer of 1-5 weighs the
    same, "no opinion" is left out, the overall question is not an item.
    """
    total = answered = 0
    for item in _items(q, factor_code):
        for value, n in counts.get(item.code, {}).items():
            if value in SCALE:
                total += value * n
                answered += n
    return total / answered if answered else None


def comprehensive_share(
    q: Questionnaire, responses: Iterable[Mapping[str, int | None]]
) -> float | None:
    """Comprehensive satisfaction (hài lòng toàn diện): methodology section 4.

    The share of respondents whose every answered item is 4 or 5. Only items of sections A-E
    count, answered means 1-5 (0 and missing questions are ignored), and respondents who answered
    no item are left out of the denominator. `None` when nobody is left.
    """
    codes = [item.code for item in q.items]
    considered = satisfied = 0
    for response in responses:
        answers = [response.get(code) for code in codes]
        answered = [value for value in answers if value in SCALE]
        if not answered:
            continue
        considered += 1
        satisfied += all(value in SATISFIED for value in answered)
    return 100 * satisfied / considered if considered else None


def index(q: Questionnaire, counts: Counts) -> float | None:
    """The questionnaire's headline index, by its method: SIPAS chain or health's pooled rate."""
    if q.method == "sipas":
        return sipas_index(q, counts)
    if q.method == "pooled":
        return pooled_rate(q, counts)
    raise ValueError(f"unknown scoring method {q.method!r}")


def _factor_value(q: Questionnaire, counts: Counts, factor_code: str) -> float | None:
    if q.method == "pooled":
        return pooled_rate(q, counts, factor_code)
    return factor_index(q, counts, factor_code)


@dataclass(frozen=True)
class CriterionScore:
    code: str
    factor: str  #: factor code ("" for the overall question)
    share: float | None  #: % of answers 1-5 that are 4 or 5
    n: int  #: answers on the 1-5 scale, the share's denominator
    no_opinion: int  #: answers of 0, left out of the share


@dataclass(frozen=True)
class FactorScore:
    code: str
    #: "sipas": mean of the criteria's shares; "pooled": answers of 4-5 over answers of 1-5
    index: float | None
    mean: float | None  #: mean answer on the 1-5 scale
    n: int  #: answers on the 1-5 scale to its items


@dataclass(frozen=True)
class Score:
    """Everything a report shows for one questionnaire and one set of answers."""

    kind: str
    version: str
    method: str
    index: float | None  #: the headline index, by the questionnaire's method
    overall: CriterionScore | None  #: the overall question, if the questionnaire has one
    criteria: Mapping[str, CriterionScore] = field(hash=False)  #: by item code, in order
    factors: Mapping[str, FactorScore] = field(hash=False)  #: by factor code, in order
    mean: float | None  #: mean answer on the 1-5 scale over all items
    responses: int | None  #: respondents, when the caller knows them
    answers: int  #: answers on the 1-5 scale to any question, the overall one included
    no_opinion: int  #: answers of 0 to any question


def _criterion(code: str, factor: str, counts: Counts) -> CriterionScore:
    values_count = counts.get(code, {})
    return CriterionScore(
        code=code,
        factor=factor,
        share=criterion_share(values_count),
        n=_scale_answers(values_count),
        no_opinion=values_count.get(NO_OPINION, 0),
    )


def score(q: Questionnaire, counts: Counts, *, responses: int | None = None) -> Score:
    """Score one set of answers: per criterion, per factor, the index and the overall question.

    Factor values follow the questionnaire's method (section 3 for "sipas", section 4 for
    "pooled"). Answers to codes the questionnaire does not have are ignored.
    """
    criteria = {item.code: _criterion(item.code, item.factor, counts) for item in q.items}
    overall = _criterion(q.overall.code, "", counts) if q.overall else None
    factors = {
        f.code: FactorScore(
            code=f.code,
            index=_factor_value(q, counts, f.code),
            mean=mean_score(q, counts, f.code),
            n=sum(criteria[item.code].n for item in f.items),
        )
        for f in q.factors
    }
    every = [*criteria.values(), *([overall] if overall else [])]
    return Score(
        kind=q.kind,
        version=q.version,
        method=q.method,
        index=index(q, counts),
        overall=overall,
        criteria=MappingProxyType(criteria),
        factors=MappingProxyType(factors),
        mean=mean_score(q, counts),
        responses=responses,
        answers=sum(c.n for c in every),
        no_opinion=sum(c.no_opinion for c in every),
    )


def rollup_mean(indices: Iterable[float | None]) -> float | None:
    """Index of a group of units: the plain mean of the units' indices, units without data skipped.

    Methodology section 3, formulas 4-5: a province's SIPAS is the mean of its part indices
    (Hà Nội 2024: 86.51 and 86.49 -> 86.50) and the national SIPAS is the mean of the provincial
    values, not an index of the pooled answers.
    """
    return _mean(indices)


def wilson_interval(successes: int, n: int, z: float = 1.96) -> tuple[float, float] | None:
    """Wilson score interval of a proportion, in percent (methodology section 7).

    z = 1.96 gives 95 %. With 90 % observed: n=30 -> about 74-97, n=100 -> 83-95, n=400 -> 87-93.
    `None` when n is 0.
    """
    if n < 0 or not 0 <= successes <= n:
        raise ValueError(f"need 0 <= successes <= n, not {successes} of {n}")
    if n == 0:
        return None
    p = successes / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    margin = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    return 100 * max(0.0, centre - margin), 100 * min(1.0, centre + margin)


def _quantile(ordered: Sequence[float], p: float) -> float:
    """Quantile of sorted values, interpolating linearly between order statistics."""
    position = p * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def bootstrap_interval(
    q: Questionnaire,
    responses: Sequence[Mapping[str, int | None]],
    *,
    reps: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[float, float] | None:
    """Percentile bootstrap interval of the questionnaire's index, resampling respondents.

    For indices that average several shares, where Wilson does not apply (methodology
    section 7). Deterministic for a given seed (stdlib `random` only). Resamples whose index has
    no data are dropped; `None` when nobody answered an item or no resample has an index. It costs
    about a second per 1000 respondents x 1000 resamples: run it in reports, not in requests.
    """
    if reps < 1 or not 0 < level < 1:
        raise ValueError("need reps >= 1 and 0 < level < 1")
    # Only the items make the index: people who answered none of them carry no data, and leaving
    # them in would only add noise to the size of each resample.
    codes = {item.code for item in q.items}
    answers = [{c: v for c, v in r.items() if c in codes and v is not None} for r in responses]
    count_answers(answers)  # reject values outside 0-5 up front
    # Each (code, value) pair becomes a small int, so that the answers of a resample are counted
    # in C (Counter over ints): a thousand resamples of thousands of people take a second or two.
    slots = sorted({(c, v) for a in answers for c, v in a.items()})
    slot_of = {pair: number for number, pair in enumerate(slots)}
    people = [tuple(slot_of[pair] for pair in a.items()) for a in answers if a]
    if not people:
        return None
    rng = random.Random(seed)  # noqa: S311 - a seeded, reproducible resample, not a secret
    estimates = []
    for _ in range(reps):
        drawn = rng.choices(people, k=len(people))
        counts: dict[str, dict[int, int]] = {}
        for slot, n in Counter(itertools.chain.from_iterable(drawn)).items():
            code, value = slots[slot]
            counts.setdefault(code, {})[value] = n
        estimate = index(q, counts)
        if estimate is not None:
            estimates.append(estimate)
    if not estimates:
        return None
    estimates.sort()
    tail = (1 - level) / 2
    return _quantile(estimates, tail), _quantile(estimates, 1 - tail)


# -- respondent-clustered intervals (methodology section 7), one respondent at a time ----------


def _t975(df: int) -> float:
    """Student's t 97.5 % quantile: from the table for 1 to 4 degrees of freedom, else the
    Cornish-Fisher expansion (Abramowitz and Stegun 26.7.5)."""
    small = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776}
    if df < 5:
        return small[max(df, 1)]
    z = 1.96
    return (
        z
        + (z**3 + z) / (4 * df)
        + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)
        + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * df**3)
    )


def design_interval(value: float, variance: float, n: int) -> tuple[float, float]:
    """The interval of a share `value` (percent) with its design variance: symmetric on the
    logit scale with n - 1 degrees of freedom; Wilson's with `n` (respondents) when the share is
    0 or 100 % or the variance 0."""
    p = value / 100
    if not (variance > 0 and 0 < p < 1):  # Wilson's formula, with p itself (not a whole count)
        z = 1.96
        denominator = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denominator
        margin = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
        return 100 * max(0.0, centre - margin), 100 * min(1.0, centre + margin)
    centre = math.log(p / (1 - p))
    spread = _t975(n - 1) * math.sqrt(variance) / (p * (1 - p))
    return tuple(100 / (1 + math.exp(-x)) for x in (centre - spread, centre + spread))


def ratio_interval(people: Sequence[tuple[int, int]]) -> tuple[float, tuple[float, float]]:
    """The pooled share of satisfied answers over responses given as (satisfied answers, valid
    answers) each, and its interval: the linearised variance of the ratio with the response as
    the unit, m / (m - 1) sum_i (s_i - R n_i)^2 / N^2."""
    m = len(people)
    total_s = sum(s for s, _ in people)
    total_n = sum(n for _, n in people)
    r = total_s / total_n
    square = sum((s - r * n) ** 2 for s, n in people)
    variance = m / (m - 1) * square / total_n**2 if m > 1 else 0.0
    return 100 * r, design_interval(100 * r, variance, m)


def linearised_interval(
    q: Questionnaire,
    responses: Sequence[Mapping[str, int | None]],
    strata: Sequence[str] | None = None,
) -> tuple[float, tuple[float, float]] | None:
    """The index of `responses` and its interval, each respondent's own contribution to the
    estimate's error worked out one by one: z_i = sum_k d_k (y_ik - q_k a_ik), with d_k the
    criterion's weight in the index over its answers and q_k its share (the pooled share itself
    for the pooled method); the variance is n / (n - 1) sum_i z_i^2 over the n respondents who
    answered an item. With `strata` (each response's unit), the responses are a sample
    stratified by unit: sum_h sum_i (z_i - mean of z in h)^2."""
    counts = count_answers(responses)
    value = index(q, counts)
    if value is None:
        return None
    items = [item.code for item in q.items]
    answered = {c: _scale_answers(counts.get(c, {})) for c in items}
    share = {c: _satisfied_answers(counts.get(c, {})) / answered[c] for c in items if answered[c]}
    weight: dict[str, float] = {}
    if q.method == "pooled":
        total = sum(answered.values())
        weight = {c: answered[c] / total for c in share}
        pooled = sum(_satisfied_answers(counts.get(c, {})) for c in share) / total
        target = dict.fromkeys(share, pooled)
    else:
        factors = [f for f in q.factors if any(i.code in share for i in f.items)]
        for f in factors:
            mine = [i.code for i in f.items if i.code in share]
            for code in mine:
                weight[code] = 1 / len(factors) / len(mine)
        target = share
    labels = list(strata) if strata is not None else [""] * len(responses)
    kept = [
        (r, h)
        for r, h in zip(responses, labels, strict=True)
        if any(r.get(c) in SCALE for c in items)
    ]
    people = [r for r, _ in kept]
    z = []
    for r in people:
        total = 0.0
        for code in share:
            value_k = r.get(code)
            if value_k in SCALE:
                y = 1.0 if value_k in SATISFIED else 0.0
                total += weight[code] / answered[code] * (y - target[code])
        z.append(total)
    n = len(people)
    means: dict[str, list[float]] = {}
    for v, (_, h) in zip(z, kept, strict=True):
        means.setdefault(h, []).append(v)
    centre = {h: sum(vs) / len(vs) for h, vs in means.items()}
    square = sum((v - centre[h]) ** 2 for v, (_, h) in zip(z, kept, strict=True))
    variance = n / (n - 1) * square if n > 1 else 0.0
    return value, design_interval(value, variance, n)
