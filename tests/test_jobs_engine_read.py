"""The jobs read Parquet events with DuckDB and label exactly as the pandas read did."""

from __future__ import annotations

import pandas as pd
import pytest

from metaseg import jobs
from metaseg.config import load_config
from metaseg.data import read_customers, read_events
from metaseg.data.engine_query import EventsQuery
from metaseg.datasets import make_shop

AS_OF = "2025-12-31"


@pytest.fixture(scope="module")
def shop_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("shop")
    shop = make_shop(n_customers=1_500, seed=3, as_of=AS_OF)
    shop.events.to_parquet(folder / "events.parquet", index=False)
    shop.customers.to_parquet(folder / "customers.parquet", index=False)
    return folder


def _config(clv: bool = False):
    facts = {"clv": {"time_unit_days": 7}} if clv else {}
    return load_config(
        {
            "name": "engine-shop",
            "as_of": AS_OF,
            "data": {"source": "files"},
            "facts": facts,
            "segmentation": {"rules": "lifecycle", "n_bootstrap": 0},
        }
    )


def _pandas_inputs(folder) -> jobs.Inputs:
    events, report = read_events(folder / "events.parquet", as_of=AS_OF)
    customers, customers_report = read_customers(folder / "customers.parquet")
    return jobs.Inputs(events, customers, report.extend(customers_report))


@pytest.mark.parametrize("clv", [False, True])
def test_labels_are_the_same_through_duckdb_and_through_pandas(shop_files, clv):
    config = _config(clv)
    inputs = jobs.load_inputs(
        config,
        events=shop_files / "events.parquet",
        customers=shop_files / "customers.parquet",
    )
    assert isinstance(inputs.events, EventsQuery)
    old = _pandas_inputs(shop_files)
    assert len(inputs.events) == len(old.events)
    facts = jobs.build_facts(inputs, config)
    expected = jobs.build_facts(old, config)
    facts, clv_model = jobs.fit_clv_facts(inputs, facts, config)
    if clv_model is not None:
        # one potential-value model for both paths: on this shop the Gamma-Gamma optimum
        # lies on a ridge (p -> infinity, gamma -> 0), where float noise of the order of
        # 1e-14 in the summary moves the fitted p by a few parts per million
        from metaseg.clv import add_clv_facts

        expected = add_clv_facts(expected, old.events, clv_model, report=old.report)
    pd.testing.assert_frame_equal(facts, expected, check_exact=False, rtol=1e-9)
    model = jobs.fit_model(config, facts, clv=clv_model)
    old_model = jobs.fit_model(config, expected, clv=clv_model)
    columns = ["customer_id", "base_segment", "sub_segment", "segment", "segment_name"]
    labels = model.predict(facts)[columns]
    pd.testing.assert_frame_equal(labels, old_model.predict(expected)[columns])
    assert labels["sub_segment"].nunique() > 1
    assert [(e.reason, e.rows) for e in inputs.report] == [(e.reason, e.rows) for e in old.report]


def test_the_drift_reference_facts_come_from_an_earlier_cut_of_the_files(shop_files):
    config = _config()
    inputs = jobs.load_inputs(config, events=shop_files / "events.parquet")
    old = _pandas_inputs(shop_files)
    old.customers = None
    model = jobs.fit_model(config, jobs.build_facts(old, config))
    model.as_of_ = pd.Timestamp("2025-06-30", tz="UTC")
    facts = jobs._fit_facts_again(inputs, config, model, jobs.JobHooks())
    expected = jobs._fit_facts_again(old, config, model, jobs.JobHooks())
    pd.testing.assert_frame_equal(facts, expected, check_exact=False, rtol=1e-9)
    assert inputs.events_frame()["timestamp"].max() == old.events["timestamp"].max()
