"""Tests of learned quantile cut points, fixed cuts and code strings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from metaseg.exceptions import DataError
from metaseg.rules.scores import (
    apply_cut_points,
    code_strings,
    learn_cut_pairs,
    learn_cut_points,
)

TIES = ["average", "min", "max", "dense", "first"]


def _score(values, bins, ties="average", keys=None, **kwargs):
    values = np.asarray(values, dtype="float64")
    if ties == "first":
        # by default the keys are the row positions: pandas' order of appearance
        keys = np.arange(len(values)) if keys is None else np.asarray(keys)
        cuts, cut_keys = learn_cut_pairs(values, keys, bins=bins)
        return apply_cut_points(values, cuts, keys=keys, cut_keys=cut_keys, **kwargs)
    return apply_cut_points(values, learn_cut_points(values, bins=bins, ties=ties), **kwargs)


@pytest.mark.parametrize("bins", [2, 3, 4, 5, 7, 9])
def test_distinct_values_score_like_pd_qcut(bins):
    checked = 0
    for n in range(bins, 60):
        # Only sizes whose rank edges are not exact integers: there pandas' floating
        # point quantiles may put a rank on either side, while metaseg is exact.
        if any((n - 1) * k % bins == 0 for k in range(1, bins)):
            continue
        values = np.random.default_rng(n).permutation(np.linspace(-3.0, 50.0, n))
        expected = pd.qcut(values, bins, labels=False) + 1
        for ties in TIES:
            np.testing.assert_array_equal(_score(values, bins, ties), expected)
        checked += 1
    assert checked > 10


def test_rank_on_an_edge_goes_to_the_lower_score():
    # 11 distinct values, 5 bins: the rank scale 1..11 is cut at 3, 5, 7, 9 and the
    # intervals are closed on the right, so ranks 1-3 score 1, 4-5 score 2, and so on.
    values = np.arange(11.0)
    assert _score(values, 5).tolist() == [1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert learn_cut_points(values, bins=5).tolist() == [2.0, 4.0, 6.0, 8.0]


def test_ties_choose_where_a_straddling_group_goes():
    # Ten customers: one bought once, six twice, then 3, 4, 5 orders; three bins.
    # The rank scale 1..10 is cut at 4 and 7. The six 2s hold ranks 2..7:
    #   min/first: rank 2 -> score 1;  average: rank 4.5 -> score 2;  max: rank 7 -> 2.
    # dense ranks the distinct values 1..5, cut at 7/3 and 11/3: 1 and 2 -> 1, 3 -> 2,
    # 4 and 5 -> 3.
    # first: the six 2s are ranked 2..7 in row order and split at the edge 4.
    values = np.array([1, 2, 2, 2, 2, 2, 2, 3, 4, 5], dtype=float)
    assert _score(values, 3, "first").tolist() == [1, 1, 1, 1, 2, 2, 2, 3, 3, 3]
    assert _score(values, 3, "min").tolist() == [1, 1, 1, 1, 1, 1, 1, 3, 3, 3]
    assert _score(values, 3, "average").tolist() == [1, 2, 2, 2, 2, 2, 2, 3, 3, 3]
    assert _score(values, 3, "max").tolist() == [1, 2, 2, 2, 2, 2, 2, 3, 3, 3]
    assert _score(values, 3, "dense").tolist() == [1, 1, 1, 1, 1, 1, 1, 2, 3, 3]


def test_equal_values_always_share_a_score_whatever_the_row_order():
    rng = np.random.default_rng(3)
    values = rng.integers(0, 6, size=300).astype(float)
    for ties in TIES[:-1]:  # all but first, which splits equal values on purpose
        scores = _score(values, 5, ties)
        shuffled = rng.permutation(len(values))
        cuts_a = learn_cut_points(values, bins=5, ties=ties)
        cuts_b = learn_cut_points(values[shuffled], bins=5, ties=ties)
        np.testing.assert_array_equal(cuts_a, cuts_b)
        for value in np.unique(values):
            assert len(set(scores[values == value])) == 1


def test_learned_cut_points_apply_to_new_values():
    cuts = learn_cut_points(np.arange(1.0, 101.0), bins=5)
    new = np.array([-5.0, 1.0, 20.0, 20.5, 60.0, 95.0, 1000.0])
    # cut points 20, 40, 60, 80: a value equal to a cut point takes the lower score.
    assert apply_cut_points(new, cuts).tolist() == [1, 1, 1, 2, 3, 5, 5]


def test_descending_reverses_the_scale_and_missing_gets_its_score():
    cuts = np.array([30.0, 90.0, 180.0, 365.0])
    recency = np.array([5.0, 30.0, 100.0, 200.0, 1000.0, np.nan])
    assert apply_cut_points(recency, cuts, descending=True).tolist() == [5, 5, 3, 2, 1, 1]
    assert apply_cut_points(recency, cuts, descending=True, missing_score=0)[-1] == 0
    assert apply_cut_points(recency, cuts, missing_score=3).tolist() == [1, 1, 3, 4, 5, 3]


def test_fixed_cuts_are_right_closed_like_pd_cut():
    cuts = np.array([10.0, 20.0])
    values = np.array([0.0, 10.0, 10.1, 20.0, 25.0])
    expected = pd.cut(values, [-np.inf, 10, 20, np.inf], labels=False) + 1
    np.testing.assert_array_equal(apply_cut_points(values, cuts), expected)


def test_missing_values_are_left_out_when_learning():
    with_nan = np.array([np.nan, 1.0, 2.0, np.nan, 3.0, 4.0])
    np.testing.assert_array_equal(
        learn_cut_points(with_nan, bins=2), learn_cut_points(np.arange(1.0, 5.0), bins=2)
    )


def test_all_missing_cannot_be_learned():
    with pytest.raises(DataError, match="every value is missing"):
        learn_cut_points(np.array([np.nan, np.nan]), bins=3)


def test_a_constant_fact_is_placed_by_the_tie_rule():
    # Three equal values hold ranks 1..3 (scale cut at 1.4, 1.8, 2.2, 2.6): min puts the
    # group at rank 1 -> 1, average at rank 2 -> 3, max at rank 3 -> 5; dense has a
    # single rank -> 1.
    values = [7.0, 7.0, 7.0]
    assert _score(values, 5, "min").tolist() == [1, 1, 1]
    assert _score(values, 5, "average").tolist() == [3, 3, 3]
    assert _score(values, 5, "max").tolist() == [5, 5, 5]
    assert _score(values, 5, "dense").tolist() == [1, 1, 1]


def test_code_strings_join_digits_and_keep_zeros():
    r = np.array([5, 0, 1], dtype="int8")
    f = np.array([4, 0, 2], dtype="int8")
    m = np.array([3, 0, 9], dtype="int8")
    assert code_strings([r, f, m]).tolist() == ["543", "000", "129"]
    assert code_strings([r]).tolist() == ["5", "0", "1"]
    long = [r, f, m, r, f, m]  # longer codes take another path; same result
    assert code_strings(long).tolist() == ["543543", "000000", "129129"]
    with pytest.raises(ValueError, match="at least one score"):
        code_strings([])


def _pandas_first(values: np.ndarray, keys: np.ndarray, bins: int) -> np.ndarray:
    """The textbook recipe: sort by key, ``rank(method="first")``, then ``qcut``."""
    frame = pd.DataFrame({"v": values, "k": keys}).sort_values("k", kind="stable")
    ranked = frame["v"].rank(method="first")
    scores = pd.qcut(ranked, bins, labels=False) + 1
    return scores.reindex(range(len(values))).to_numpy()


@pytest.mark.parametrize("bins", [3, 5, 7])
@pytest.mark.parametrize("text_keys", [False, True])
def test_first_equals_rank_first_then_qcut_in_key_order(bins, text_keys):
    checked = 0
    for n in range(bins + 1, 400, 37):
        if any((n - 1) * k % bins == 0 for k in range(1, bins)):
            continue  # a rank exactly on an edge: pandas' float quantiles may misplace it
        rng = np.random.default_rng(n)
        values = rng.integers(0, 4, size=n).astype(float)  # few values, many ties
        ids = rng.permutation(n) + 1000
        keys = np.array([f"c{i}" for i in ids], dtype=object) if text_keys else ids
        got = _score(values, bins, "first", keys=keys)
        np.testing.assert_array_equal(got, _pandas_first(values, keys, bins))
        # every score holds its share: sizes differ by at most one
        sizes = np.bincount(got, minlength=bins + 1)[1:]
        assert sizes.max() - sizes.min() <= 1
        checked += 1
    assert checked >= 3


def test_first_does_not_depend_on_row_order():
    rng = np.random.default_rng(5)
    values = rng.integers(1, 4, size=101).astype(float)
    ids = rng.permutation(101)
    cuts_a, keys_a = learn_cut_pairs(values, ids, bins=5)
    order = rng.permutation(101)
    cuts_b, keys_b = learn_cut_pairs(values[order], ids[order], bins=5)
    assert cuts_a.tolist() == cuts_b.tolist() and keys_a.tolist() == keys_b.tolist()
    missing = values.copy()
    missing[::10] = np.nan  # missing values (and their keys) are left out
    cuts_c, _ = learn_cut_pairs(missing, ids, bins=5)
    assert not np.isnan(cuts_c).any()


def test_first_places_a_new_value_on_an_edge_by_its_key():
    # Ten customers, ids 0..9, seven of whom bought once: the ones hold ranks 1..7; the
    # rank scale is cut at 4 and 7 (closed on the right), i.e. after ids 3 and 6.
    values = np.array([1, 1, 1, 1, 1, 1, 1, 2, 3, 4], dtype=float)
    ids = np.arange(10)
    cuts, cut_keys = learn_cut_pairs(values, ids, bins=3)
    assert cuts.tolist() == [1.0, 1.0] and cut_keys.tolist() == [3, 6]
    new_values = np.array([1.0, 1.0, 1.0, 1.0, 0.5, 1.5, np.nan])
    new_ids = np.array([-1, 3, 4, 99, 50, 50, 50])
    scores = apply_cut_points(new_values, cuts, keys=new_ids, cut_keys=cut_keys)
    # on the edge value 1: ids up to 3 score 1, 4..6 score 2, larger ids score 3;
    # values off the edges are scored by value alone, missing ones get the missing score
    assert scores.tolist() == [1, 1, 2, 3, 1, 3, 1]
    with pytest.raises(ValueError, match="keys"):
        apply_cut_points(new_values, cuts, cut_keys=cut_keys)
    with pytest.raises(ValueError, match="learn_cut_pairs"):
        learn_cut_points(values, bins=3, ties="first")
    with pytest.raises(DataError, match="missing"):
        learn_cut_pairs(np.array([np.nan]), np.array([1]), bins=3)
