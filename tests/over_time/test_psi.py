"""Population stability index of single facts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from metaseg.fact_reference import EPSILON, fact_histogram, psi


def test_identical_distributions_have_zero_psi_and_a_shift_is_large():
    rng = np.random.default_rng(0)
    ref = pd.Series(rng.normal(size=5_000))
    hist = fact_histogram(ref)
    assert psi(hist, ref) == 0.0
    assert psi(hist, pd.Series(rng.normal(size=5_000))) < 0.02
    assert psi(hist, pd.Series(rng.normal(loc=1.0, size=5_000))) > 0.25


def test_psi_matches_the_formula_on_two_bins():
    hist = fact_histogram(pd.Series([1.0, 1.0, 3.0, 3.0]), n_bins=2)  # cut at 2
    now = pd.Series([1.0, 3.0, 3.0, 3.0])  # 1/4 and 3/4 against 1/2 and 1/2
    expected = (0.25 - 0.5) * np.log(0.25 / 0.5) + (0.75 - 0.5) * np.log(0.75 / 0.5)
    # the missing bin is empty on both sides (floored at EPSILON)
    assert psi(hist, now) == pytest.approx(expected)
    assert EPSILON < 1e-3


def test_new_extremes_missing_values_and_unseen_categories_count_as_drift():
    hist = fact_histogram(pd.Series(np.arange(100.0)))
    assert psi(hist, pd.Series(np.full(100, 1e6))) > 1.0  # open-ended last bin
    assert psi(hist, pd.Series([np.nan] * 50 + list(range(50)), dtype="float64")) > 0.25
    regions = fact_histogram(pd.Series(["north"] * 50 + ["south"] * 50))
    assert psi(regions, pd.Series(["north"] * 50 + ["south"] * 50)) == 0.0
    assert psi(regions, pd.Series(["north"] * 50 + ["east"] * 50)) > 1.0
    flags = fact_histogram(pd.Series([True, False] * 50))
    assert psi(flags, pd.Series([True] * 100)) > 1.0


def test_models_pickled_before_the_move_still_find_their_histograms():
    import pickle

    from metaseg import fact_reference

    histogram = fact_reference.fact_histogram(pd.Series([1.0, 2.0, 3.0]), n_bins=2)
    # protocol 0 names classes by "module\nname" lines, so the module can be rewritten
    old = pickle.dumps(histogram, protocol=0).replace(
        b"metaseg.fact_reference", b"metaseg.over_time.psi"
    )
    assert b"metaseg.over_time.psi" in old
    loaded = pickle.loads(old)
    assert type(loaded) is fact_reference.FactHistogram
    np.testing.assert_array_equal(loaded.edges, histogram.edges)
    assert loaded.kind == histogram.kind
