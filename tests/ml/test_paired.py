"""The paired test deciding the learned ranker's promotion: per-query differences, bootstrap and sign test."""

from __future__ import annotations

import numpy as np
import pytest

from quicknav_mcp.ml.paired import paired_test, sign_p


def test_one_unlucky_query_of_twenty_is_no_significant_loss_but_three_without_a_win_are() -> None:
    one = paired_test([-1.0] + [0.0] * 19)
    assert (one.wins, one.losses, one.ties) == (0, 1, 19)
    assert one.p_loss == pytest.approx((19 / 20) ** 20, abs=0.03) and not one.significant_loss
    three = paired_test([-0.5, -1.0, -0.5] + [0.0] * 17)
    assert three.p_loss < 0.05 and three.significant_loss and not three.significant_gain
    assert three.p_sign_loss == pytest.approx(1 / 8)  # the sign test alone (3 of 3 differing) would not block


def test_wins_offset_losses_and_gains_are_significant_the_other_way() -> None:
    mixed = paired_test([-1.0, -1.0, 1.0, 1.0, 0.5] + [0.0] * 15)
    assert not mixed.significant_loss and not mixed.significant_gain and mixed.mean > 0
    gain = paired_test([0.5] * 8 + [0.0] * 12)
    assert gain.significant_gain and gain.p_gain < 0.01 and not gain.significant_loss


def test_ties_rounding_and_empty_sets_never_block() -> None:
    assert not paired_test([]).significant_loss and paired_test([]).p_loss == 1.0
    ties = paired_test([0.0, 5e-5, -5e-5, 0.0])  # differences below the metrics' rounding are ties
    assert ties.ties == 4 and ties.p_loss == 1.0 and not ties.significant_loss
    assert paired_test([-0.2] * 40).significant_loss  # a consistent loss, however small


def test_the_decision_is_reproducible_and_the_sign_test_is_the_binomial_tail() -> None:
    rng = np.random.default_rng(3)
    d = rng.choice([-1.0, 0.0, 0.0, 0.5], size=60)
    assert paired_test(d) == paired_test(d.tolist())
    assert sign_p(5, 5) == pytest.approx(1 / 32) and sign_p(0, 4) == 1.0 and sign_p(3, 0) == 1.0
    assert sign_p(2, 4) == pytest.approx(11 / 16)


def test_the_sign_test_holds_for_thousands_of_differing_queries() -> None:
    assert sign_p(600, 1100) < 0.01 < sign_p(500, 1100)
    result = paired_test([0.1] * 600 + [-0.1] * 500)
    assert result.n == 1100 and not result.significant_loss
