"""The logged pyfunc model loaded with mlflow.pyfunc.load_model: as_of filled, extra
columns ignored quietly."""

from __future__ import annotations

import logging

import pandas as pd
import pytest

from metaseg import schema


@pytest.fixture
def loaded(store, monkeypatch):
    import mlflow

    monkeypatch.setenv("MLFLOW_TRACKING_URI", store.uri)
    return mlflow.pyfunc.load_model(store.run_a.model_uri)


def test_labels_carry_the_fit_as_of_without_params(loaded, model_a, shop_facts) -> None:
    got = loaded.predict(shop_facts)
    assert model_a.as_of_ is not None
    assert set(got[schema.AS_OF]) == {pd.Timestamp(model_a.as_of_)}
    expected = model_a.predict(shop_facts)
    for column in (schema.CUSTOMER_ID, schema.SEGMENT, schema.SEGMENT_NAME):
        assert got[column].tolist() == expected[column].tolist(), column


def test_params_as_of_overrides_the_fit_as_of(loaded, shop_facts) -> None:
    later = "2026-03-01T00:00:00+00:00"
    got = loaded.predict(shop_facts, params={"as_of": later})
    assert set(got[schema.AS_OF]) == {pd.Timestamp(later)}


def test_the_registry_names_the_version_in_the_labels(store, monkeypatch, shop_facts):
    import mlflow

    monkeypatch.setenv("MLFLOW_TRACKING_URI", store.uri)
    loaded = mlflow.pyfunc.load_model(f"models:/shop/{store.run_a.registered_version}")
    got = loaded.predict(shop_facts.head(20))
    assert set(got[schema.MODEL_NAME]) == {"shop"}
    assert set(got[schema.MODEL_VERSION]) == {store.run_a.registered_version}
    assert set(got[schema.RUN_ID]) == {store.run_a.run_id}


def test_every_column_of_the_facts_passes_without_a_warning(loaded, model_a, shop_facts, caplog):
    unread = set(shop_facts.columns) - set(model_a.feature_columns_)
    assert len(unread) > 10  # the facts carry many columns the model does not read
    with caplog.at_level(logging.WARNING):
        got = loaded.predict(shop_facts)
    assert not [r for r in caplog.records if "extra inputs" in r.getMessage()]
    assert len(got) == len(shop_facts)


def test_only_the_columns_the_model_reads_are_needed(loaded, model_a, shop_facts) -> None:
    narrow = shop_facts[model_a.feature_columns_]
    wide = shop_facts.assign(note="anything")  # a column the fit facts did not have
    assert loaded.predict(narrow)[schema.SEGMENT].tolist() == (
        loaded.predict(wide)[schema.SEGMENT].tolist()
    )
