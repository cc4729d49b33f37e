"""The public face: lazy ``import metaseg``, ``metaseg.segment``, events and Arrow tables in."""

from __future__ import annotations

import json
import logging
import subprocess
import sys

import pandas as pd
import pyarrow as pa
import pytest

import metaseg
from metaseg import schema
from metaseg.datasets import make_shop
from metaseg.exceptions import ConfigError, DataError
from metaseg.facts import compute_facts


@pytest.fixture(scope="module")
def shop():
    customers, events, _ = make_shop(n_customers=1_200, seed=2)
    return customers, events


def test_import_metaseg_loads_no_heavy_library():
    code = (
        "import sys, json, metaseg; "
        "print(json.dumps(sorted(m for m in ('sklearn', 'mlflow', 'matplotlib', 'duckdb', "
        "'hdbscan', 'pandas') if m in sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_public_names_resolve_lazily_and_unknown_ones_fail():
    assert metaseg.MetaSegmenter.__name__ == "MetaSegmenter"
    assert callable(metaseg.segment) and callable(metaseg.compute_facts)
    assert set(metaseg.__all__) <= set(dir(metaseg))
    with pytest.raises(AttributeError, match="no attribute 'segmnet'"):
        _ = metaseg.segmnet


def test_segment_from_events_equals_facts_then_fit(shop):
    customers, events = shop
    model = metaseg.segment(events, customers, rules="rfm", n_bootstrap=0, random_state=4)
    facts = compute_facts(events, customers)
    direct = metaseg.MetaSegmenter(rules="rfm", n_bootstrap=0, random_state=4).fit(facts)
    assert model.labels_[schema.SEGMENT].tolist() == direct.labels_[schema.SEGMENT].tolist()
    assert model.input_kind_ == "events" and direct.input_kind_ == "facts"


def test_fit_and_predict_accept_events_and_say_so(shop, caplog):
    customers, events = shop
    with caplog.at_level(logging.INFO, logger="metaseg.model"):
        model = metaseg.MetaSegmenter(n_bootstrap=0).fit(events, customers=customers)
    assert model.input_kind_ == "events"
    assert "fit: got events" in caplog.text
    labels = model.predict(events, customers=customers)
    assert labels.attrs["input_kind"] == "events"
    assert labels[schema.SEGMENT].tolist() == model.labels_[schema.SEGMENT].tolist()
    facts = compute_facts(events, customers)
    assert model.predict(facts).attrs["input_kind"] == "facts"
    with pytest.raises(ConfigError, match="customers is used only with events"):
        model.predict(facts, customers=customers)


def test_pyarrow_tables_are_accepted_wherever_a_frame_goes_in(shop):
    customers, events = shop
    facts = compute_facts(events, customers)
    model = metaseg.MetaSegmenter(n_bootstrap=0).fit(facts)
    table = pa.Table.from_pandas(facts, preserve_index=False)
    from_arrow = metaseg.MetaSegmenter(n_bootstrap=0).fit(table, as_of=facts.attrs["as_of"])
    assert from_arrow.labels_[schema.SEGMENT].tolist() == model.labels_[schema.SEGMENT].tolist()
    scored = model.predict(table, as_of=facts.attrs["as_of"])
    assert scored[schema.SEGMENT].tolist() == model.labels_[schema.SEGMENT].tolist()
    arrow_events = pa.Table.from_pandas(events, preserve_index=False)
    assert len(model.predict(arrow_events, customers=customers)) == len(facts)
    probabilities = model.predict_proba(table, as_of=facts.attrs["as_of"])
    assert len(probabilities) >= len(facts)
    # any Arrow C stream exporter (polars, DuckDB results, ...) goes through pyarrow
    stream = pa.RecordBatchReader.from_batches(table.schema, table.to_batches())
    assert len(model.predict(stream, as_of=facts.attrs["as_of"])) == len(facts)


def test_events_from_arrow_and_polars_are_read_in_place_with_the_same_facts(shop):
    pl = pytest.importorskip("polars", reason="polars is an optional dependency")
    customers, events = shop
    expected = compute_facts(events, customers)

    class ArrowStreamOnly:
        """An Arrow C stream exporter with no to_pandas: DuckDB must read it as Arrow."""

        def __init__(self, table):
            self._table = table

        def __arrow_c_stream__(self, requested_schema=None):
            return self._table.__arrow_c_stream__(requested_schema)

    table = pa.Table.from_pandas(events, preserve_index=False)
    for given in (table, pl.from_pandas(events), ArrowStreamOnly(table)):
        got = compute_facts(given, pa.Table.from_pandas(customers, preserve_index=False))
        pd.testing.assert_frame_equal(got, expected, check_like=False)
        model = metaseg.segment(given, customers, n_bootstrap=0, random_state=0)
        assert model.input_kind_ == "events"
        assert len(model.labels_) == len(expected)


def test_polars_frames_when_installed(shop):
    pl = pytest.importorskip("polars", reason="polars is an optional dependency")
    customers, events = shop
    facts = compute_facts(events, customers)
    model = metaseg.MetaSegmenter(n_bootstrap=0).fit(facts)
    scored = model.predict(pl.from_pandas(facts), as_of=facts.attrs["as_of"])
    assert scored[schema.SEGMENT].tolist() == model.labels_[schema.SEGMENT].tolist()
    with pytest.raises(DataError, match="LazyFrame.*collect"):
        model.predict(pl.from_pandas(facts).lazy())


def test_something_that_is_not_a_table_is_refused_clearly():
    with pytest.raises(DataError, match="facts must be a pandas DataFrame.*got list"):
        metaseg.MetaSegmenter().fit([1, 2, 3])
