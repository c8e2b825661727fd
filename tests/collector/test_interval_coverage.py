"""The intervals are right, not only consistent: a simulation against populations whose true
figures are known (methodology section 7).

Each respondent has a latent attitude z ~ N(0, 1); their answer to criterion k is satisfied (4-5)
when sqrt(rho) z + sqrt(1 - rho) e_k + mu_k > 0, with e_k ~ N(0, 1) of their own, so rho is the
correlation of one person's answers on the latent scale: 0 (independent answers), 0.4 and 0.8
(answers that move together). Each answer is "no opinion" with probability 8 %, at random. So
criterion k's true share is Phi(mu_k) and the true index is the questionnaire's formula over
those shares.

For each case, many samples are drawn; each is counted the way the collector stores it (per
criterion counts and the respondents' cross-products, packed and unpacked as in `report_cross`)
and scored by the product's own code. The 95 % interval must cover the true figure in 93-97 % of
the samples, and be on average no wider than 1.15 times the ideal: 3.92 times the estimator's
true sampling SD (the SD of the estimates over the samples).

The check itself can fail: the interval that pools every answer as if it were a person of its own
covers far too rarely when answers move together, and the weighted mean of the criteria's Wilson
bounds (the method before this one) is far too wide when they do not.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pytest

from collector.counts import cross
from shared import questionnaires, scoring

SAMPLES = 2000
NO_OPINION = 0.08
COVERAGE = (0.93, 0.97)
WIDTH = 1.15


@pytest.fixture
def backend() -> str:
    """No database here: the stored form is packed and unpacked in memory."""
    return "sqlite"


@dataclass(frozen=True)
class Population:
    layout: scoring.Layout
    mu: np.ndarray  #: each criterion's latent mean: true share Phi(mu)

    @property
    def shares(self) -> np.ndarray:
        return np.array([NormalDist().cdf(m) for m in self.mu])

    def index(self, shares=None) -> float:
        """The true index: the questionnaire's formula over the true shares (percent)."""
        p = self.shares if shares is None else shares
        if self.layout.method == "pooled":
            return 100 * float(p.mean())  # every item equally likely to be answered
        return 100 * float(np.mean(self.factor_values(p)))

    def factor_values(self, p) -> list[float]:
        masks = self.layout.masks
        return [float(p[m > 0].mean()) for m in masks]


def population(kind: str, seed: int, around: float = 0.9) -> Population:
    layout, _ = scoring.layout_for(kind, [questionnaires.current(kind, "full").version])
    rng = np.random.default_rng(seed)
    shares = np.clip(rng.normal(around, 0.04, len(layout.criteria)), 0.6, 0.985)
    return Population(layout, np.array([NormalDist().inv_cdf(s) for s in shares]))


def draw(pop: Population, n: int, rho: float, samples: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """(satisfied, answered), samples x n x criteria, 0/1."""
    c = len(pop.mu)
    z = rng.standard_normal((samples, n, 1), dtype=np.float32)
    e = rng.standard_normal((samples, n, c), dtype=np.float32)
    latent = np.float32(math.sqrt(rho)) * z + np.float32(math.sqrt(1 - rho)) * e
    satisfied = latent > -pop.mu.astype(np.float32)
    answered = rng.random((samples, n, c), dtype=np.float32) >= NO_OPINION
    return (satisfied & answered).astype(float), answered.astype(float)


def stored_counts(satisfied: np.ndarray, answered: np.ndarray) -> scoring.Counts:
    """The samples counted as the collector stores them: per criterion counts, and the
    cross-products through the packed format of `report_cross` (pack, then decode, unpack)."""
    samples, n, c = answered.shape
    made = scoring.cross_of(
        satisfied.reshape(samples * n, c),
        answered.reshape(samples * n, c),
        np.repeat(np.arange(samples), n),
        samples,
    )
    codes = [str(k) for k in range(c)]
    packed, good = cross.decode(
        codes, [cross.pack(made.yy[s], made.ya[s], made.aa[s]) for s in range(samples)]
    )
    assert good.all()
    respondents = (answered.sum(axis=2) > 0).sum(axis=1).astype(float)
    return scoring.Counts(
        satisfied=satisfied.sum(axis=1),
        answered=answered.sum(axis=1),
        no_opinion=(1 - answered).sum(axis=1),
        value_sum=np.zeros((samples, c)),
        respondents=respondents,
        all_satisfied=np.zeros(samples),
        responses=np.full(samples, float(n)),
        cross=cross.unpack(packed, c),
    )


@dataclass(frozen=True)
class Check:
    coverage: float
    width: float  #: mean width over the ideal 3.92 x the estimator's true SD

    @property
    def valid(self) -> bool:
        return COVERAGE[0] <= self.coverage <= COVERAGE[1] and self.width <= WIDTH


def check(estimates: np.ndarray, intervals: np.ndarray, truth: float) -> Check:
    covered = (intervals[:, 0] <= truth) & (truth <= intervals[:, 1])
    ideal = 2 * scoring.Z95 * float(np.std(estimates))
    return Check(float(covered.mean()), float(np.mean(intervals[:, 1] - intervals[:, 0])) / ideal)


CASES = [(rho, n) for rho in (0.0, 0.4, 0.8) for n in (60, 300)]


def seed_of(*case) -> int:
    """A seed of its own for each case, the same in every run (not `hash`, which varies)."""
    return zlib.crc32(repr(case).encode())


@pytest.mark.parametrize(("rho", "n"), CASES)
@pytest.mark.parametrize("kind", ["admin", "health"])
def test_the_index_interval_covers_the_truth(kind, rho, n):
    pop = population(kind, seed=1)
    rng = np.random.default_rng(seed_of(kind, rho, n))
    scores = scoring.score_counts(pop.layout, stored_counts(*draw(pop, n, rho, SAMPLES, rng)))
    result = check(scores.index, scores.index_ci, pop.index())
    assert result.valid, result


@pytest.mark.parametrize(("rho", "n"), CASES)
def test_a_factor_interval_covers_the_truth(rho, n):
    """SIPAS factor B (procedures): the mean of its four criteria's shares."""
    pop = population("admin", seed=2)
    f = pop.layout.factors.index("B")
    rng = np.random.default_rng(seed_of("factor", rho, n))
    scores = scoring.score_counts(pop.layout, stored_counts(*draw(pop, n, rho, SAMPLES, rng)))
    truth = 100 * pop.factor_values(pop.shares)[f]
    result = check(scores.factor[:, f], scores.factor_ci[:, f], truth)
    assert result.valid, result


@pytest.mark.parametrize(("rho", "n"), CASES)
def test_a_breakdown_interval_covers_the_truth(rho, n):
    """An officer's pooled share of satisfied answers over their responses: the ratio, with the
    sums of squares the collector keeps per group (`report_group_counts`)."""
    pop = population("admin", seed=3)
    rng = np.random.default_rng(seed_of("officer", rho, n))
    satisfied, answered = draw(pop, n, rho, SAMPLES, rng)
    s, a = satisfied.sum(axis=2), answered.sum(axis=2)  # each response's answers
    groups = scoring.RatioCounts(
        responses=np.full(SAMPLES, float(n)),
        satisfied=s.sum(axis=1),
        answered=a.sum(axis=1),
        satisfied_sq=(s * s).sum(axis=1),
        cross=(s * a).sum(axis=1),
        answered_sq=(a * a).sum(axis=1),
    )
    share, _, interval = scoring.ratio_share(groups)
    result = check(share, interval, 100 * float(pop.shares.mean()))
    assert result.valid, result


#: A parent over parts of uneven size: three of at least the minimum, three below it (pooled).
SIZES = (200, 90, 60, 20, 12, 8)
MINIMUM = 30


@pytest.mark.parametrize("rho", [0.0, 0.4, 0.8])
def test_a_roll_up_of_unequal_parts_covers_the_truth(rho):
    """The parent's index is the mean of three parts and of one part pooling the three small
    units' responses; its true value is the mean of those parts' true indices (the pooled part's
    criteria shares: the small units' true shares weighed by their sizes)."""
    pops = [population("admin", seed=10 + i, around=a) for i, a in enumerate((0.93, 0.86, 0.9))]
    pops += [population("admin", seed=20 + i, around=a) for i, a in enumerate((0.8, 0.95, 0.7))]
    rng = np.random.default_rng(seed_of("roll-up", rho))
    layout = pops[0].layout
    parts = [
        stored_counts(*draw(p, n, rho, SAMPLES, rng)) for p, n in zip(pops, SIZES, strict=True)
    ]
    # Units on axis 0: the parent (no responses of its own), then its six children.
    counts = scoring.Counts(
        **{
            name: np.stack(
                [np.zeros_like(getattr(parts[0], name)), *(getattr(p, name) for p in parts)]
            )
            for name in (
                "satisfied",
                "answered",
                "no_opinion",
                "value_sum",
                "respondents",
                "all_satisfied",
                "responses",
            )
        },
        cross=scoring.Cross(
            *(
                np.stack(
                    [
                        np.zeros_like(getattr(parts[0].cross, m)),
                        *(getattr(p.cross, m) for p in parts),
                    ]
                )
                for m in ("yy", "ya", "aa")
            )
        ),
    )
    tree = scoring.Tree(np.array([-1, 0, 0, 0, 0, 0, 0]))
    rolled = scoring.roll_up(tree, layout, counts, MINIMUM)
    assert (rolled.parts[0] == 4).all() and rolled.pooled[4:].all() and not rolled.pooled[1:4].any()
    small = np.array(SIZES[3:], dtype=float)
    pooled_shares = sum(n * p.shares for n, p in zip(small, pops[3:], strict=True)) / small.sum()
    truth = np.mean([p.index() for p in pops[:3]] + [pops[0].index(pooled_shares)])
    result = check(rolled.value[0], rolled.interval[0], truth)
    assert result.valid, result


# -- the check can fail ------------------------------------------------------------------------


def test_an_interval_over_answers_as_if_each_were_a_person_fails_the_check():
    """Too narrow: a Wilson interval over every answer pooled, when answers move together."""
    pop = population("health", seed=1)
    rng = np.random.default_rng(7)
    counts = stored_counts(*draw(pop, 300, 0.8, SAMPLES, rng))
    scores = scoring.score_counts(pop.layout, counts)
    naive = scoring.wilson(counts.satisfied.sum(axis=1), counts.answered.sum(axis=1))
    result = check(scores.index, naive, pop.index())
    assert not result.valid and result.coverage < 0.8, result


def test_the_weighted_mean_of_the_criteria_bounds_fails_the_check():
    """Too wide: the method before this one, when answers are independent."""
    pop = population("admin", seed=1)
    rng = np.random.default_rng(8)
    counts = stored_counts(*draw(pop, 300, 0.0, SAMPLES, rng))
    scores = scoring.score_counts(pop.layout, counts)
    weights = scoring.index_weights(pop.layout, counts.answered)
    old = np.einsum("sc,scb->sb", weights, np.nan_to_num(scores.share_ci))
    result = check(scores.index, old, pop.index())
    assert not result.valid and result.width > 2, result
