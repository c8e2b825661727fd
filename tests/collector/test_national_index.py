"""The national index's on-time group (20 points) and satisfaction item 5.4 (6 points), Decision
766/QĐ-TTg as the portal scores it: small cases worked by hand."""

from __future__ import annotations

import pytest

from collector.dossiers.national import NOT_COMPUTED, service_index


def test_a_small_case_worked_by_hand():
    # 10 dossiers settled: 8 on time, 2 late; 1 of the 10 rated 1 or 2 overall ("dislike").
    # On-time rate 8 / 10 = 80 %: 20 x 0.80 = 16 points.
    # Item 5.4: 100 % - (2 / 10 late + 1 / 10 disliked) = 70 %; 6 x 0.70 / 0.90 = 4.666... points.
    index = service_index(on_time=8, late=2, disliked=1)
    assert index.settled == 10
    assert index.on_time_rate == pytest.approx(80.0)
    assert index.on_time_points == pytest.approx(16.0)
    assert index.late_share == pytest.approx(20.0)
    assert index.disliked_share == pytest.approx(10.0)
    assert index.item_54_rate == pytest.approx(70.0)
    assert index.item_54_points == pytest.approx(14 / 3)


def test_a_unit_with_no_dossiers_scores_zero_and_has_no_rates():
    index = service_index(0, 0, 0)
    assert (index.on_time_points, index.item_54_points) == (0.0, 0.0)
    assert index.on_time_rate is None and index.item_54_rate is None and index.late_share is None


def test_a_unit_above_90_percent_gets_the_full_6_points():
    # 20 settled, 19 on time, 1 late, no dislike: on-time 95 % -> 19 points; item 5.4 rate
    # 100 % - 5 % = 95 %, 6 x 0.95 / 0.90 = 6.33, capped at 6.
    index = service_index(on_time=19, late=1, disliked=0)
    assert index.on_time_points == pytest.approx(19.0)
    assert index.item_54_rate == pytest.approx(95.0)
    assert index.item_54_points == 6.0
    # Exactly 90 % is the full 6 too; just below it is not.
    assert service_index(9, 1, 0).item_54_points == pytest.approx(6.0)
    assert service_index(17, 2, 0).item_54_points == pytest.approx(6 * (17 / 19) / 0.9)
    assert service_index(17, 2, 0).item_54_points < 6.0


def test_a_late_disliked_dossier_is_subtracted_twice_and_the_rate_stops_at_zero():
    # 4 settled, 1 late which its citizen also disliked: 100 % - (25 % + 25 %) = 50 %,
    # 6 x 0.5 / 0.9 = 3.33 points.
    assert service_index(3, 1, 1).item_54_points == pytest.approx(10 / 3)
    # All late and all disliked: 100 % - 200 % is taken as 0.
    everything_wrong = service_index(0, 2, 2)
    assert everything_wrong.item_54_rate == 0.0 and everything_wrong.item_54_points == 0.0
    assert everything_wrong.on_time_points == 0.0


def test_impossible_counts_are_refused():
    with pytest.raises(ValueError):
        service_index(1, 0, 2)
    with pytest.raises(ValueError):
        service_index(-1, 0, 0)


def test_what_the_product_cannot_know_is_named():
    assert set(NOT_COMPUTED) == {"portal-complaints", "online-payment", "digitisation"}
