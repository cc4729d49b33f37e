"""The fast subset of experiments/bench_discovery.py: metaseg's defaults on planted
structures drawn at random, against the notebook pipeline, with nothing tuned per shop."""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

BENCH = Path(__file__).resolve().parents[1] / "experiments" / "bench_discovery.py"
#: Scenarios of the fast subset (the benchmark runs 30 at 20k customers).
SEEDS = (101, 102, 103)
N_CUSTOMERS = 6_000


def _load_bench():
    spec = importlib.util.spec_from_file_location("bench_discovery", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def results() -> pd.DataFrame:
    bench = _load_bench()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parts = [bench.evaluate_scenario(s, N_CUSTOMERS, ("metaseg", "notebook")) for s in SEEDS]
    return pd.concat(parts, ignore_index=True)


def test_metaseg_is_at_least_as_good_as_the_notebook_in_every_scenario(results) -> None:
    means = results.groupby(["scenario", "method"])["ari"].mean().unstack()
    assert (means["metaseg"] >= means["notebook"]).all(), means
    assert results.loc[results["method"] == "metaseg", "ari"].median() >= 0.75


def test_single_populations_are_left_whole(results) -> None:
    single = results[(results["method"] == "metaseg") & (results["k_true"] == 1)]
    assert len(single) >= 2  # the subset holds single-population segments to judge
    assert single["split_right"].all(), single
    # the notebook, which cannot answer "do not split", cuts every one of them
    notebook = results[(results["method"] == "notebook") & (results["k_true"] == 1)]
    assert not notebook["split_right"].any()


def test_summary_table_compares_methods(results) -> None:
    table = _load_bench().summarise(results)
    assert {"median ARI", "no-split right", "k right"} <= set(table.columns)
    assert table.loc["notebook", "metaseg at least as good"] == 1.0
    assert np.isnan(table.loc["metaseg", "metaseg at least as good"])
