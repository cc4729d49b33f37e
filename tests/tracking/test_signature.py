"""The logged model's signature and pyfunc wrapper on facts with every dtype facts have."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from metaseg import schema
from metaseg.exceptions import DataError
from metaseg.model import MetaSegmenter
from metaseg.tracking import log_fit
from metaseg.tracking.signature import column_kind, column_kinds, input_signature, restore_dtypes

#: Rules reading a UTC timestamp (relative to as_of) and a categorical attribute.
RULES = {
    "name": "signature-test",
    "catch_all": "other",
    "segments": [
        {"name": "fresh", "condition": {"fact": "signup_at", "op": "within_days", "value": 200}},
        {"name": "women", "condition": {"fact": "gender", "op": "in", "value": ["female"]}},
    ],
}


@pytest.fixture(scope="module")
def model_c(shop_facts) -> MetaSegmenter:
    return MetaSegmenter(
        rules=RULES,
        n_bootstrap=0,
        min_segment_size=50,
        default={"algorithm": "kmeans", "params": {"k_min": 2, "k_max": 3}},
        random_state=0,
    ).fit(shop_facts)


def test_kinds_of_fact_dtypes(shop_facts) -> None:
    kinds = column_kinds(shop_facts, list(shop_facts.columns))
    assert kinds["customer_id"] == "long"
    assert kinds["frequency"] == "long"
    assert kinds["recency_days"] == "double"
    assert kinds["signup_at"] == "datetime_utc"
    assert kinds["gender"] == "category"
    frame = pd.DataFrame(
        {
            "flag": [True],
            "name": pd.Series(["a"], dtype="str"),
            "obj": pd.Series(["a"], dtype=object),
            "naive": pd.to_datetime(["2025-01-01"]),
        }
    )
    assert [column_kind(frame, c) for c in frame.columns] == [
        "boolean",
        "string",
        "string",
        "datetime",
    ]


def test_unsupported_dtype_names_the_column() -> None:
    frame = pd.DataFrame({"span": pd.to_timedelta([1], unit="D")})
    with pytest.raises(DataError, match="'span'"):
        column_kind(frame, "span")


def test_missing_model_columns_are_named(shop_facts) -> None:
    with pytest.raises(DataError, match="'nope'"):
        column_kinds(shop_facts, ["customer_id", "nope"])


def test_signature_declares_enforceable_types(shop_facts) -> None:
    kinds = column_kinds(shop_facts, ["customer_id", "frequency", "signup_at", "gender"])
    signature = input_signature(kinds)
    declared = {c["name"]: c["type"] for c in json.loads(signature.inputs.to_json())}
    assert declared == {
        "customer_id": "long",
        "frequency": "long",
        "signup_at": "any",
        "gender": "any",
    }
    assert [p.name for p in signature.params.params] == ["as_of"]
    outputs = [c["name"] for c in json.loads(signature.outputs.to_json())]
    assert outputs == list(schema.LABEL_COLUMNS)


def test_restore_dtypes_brings_back_utc_and_category() -> None:
    raw = pd.DataFrame(
        {
            "signup_at": pd.Series([pd.Timestamp("2025-01-01", tz="UTC"), None], dtype=object),
            "gender": ["female", None],
            "n": [1, 2],
        }
    )
    out = restore_dtypes(raw, {"signup_at": "datetime_utc", "gender": "category", "n": "long"})
    assert isinstance(out["signup_at"].dtype, pd.DatetimeTZDtype)
    assert str(out["signup_at"].dt.tz) == "UTC"
    assert out["signup_at"].isna().tolist() == [False, True]
    assert isinstance(out["gender"].dtype, pd.CategoricalDtype)
    assert out["n"].dtype == np.int64
    assert raw["gender"].dtype != out["gender"].dtype  # the input is not modified


def test_pyfunc_round_trip_with_timestamp_and_category_columns(
    model_c, shop_facts, tmp_path, monkeypatch
) -> None:
    import mlflow

    assert {"signup_at", "gender"} <= set(model_c.feature_columns_)
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)  # for mlflow.pyfunc.load_model below
    run = log_fit(
        model_c,
        shop_facts,
        experiment="signature",
        tracking_uri=uri,
        artifacts_dir=tmp_path / "out",
    )
    loaded = mlflow.pyfunc.load_model(run.model_uri)
    schema_ = json.loads(loaded.metadata.get_input_schema().to_json())
    required = {c["name"] for c in schema_ if c.get("required", True)}
    optional = {c["name"] for c in schema_ if not c.get("required", True)}
    assert required == set(model_c.feature_columns_)
    assert optional == set(shop_facts.columns) - set(model_c.feature_columns_)
    as_of = pd.Timestamp(shop_facts.attrs["as_of"])
    expected = model_c.predict(shop_facts, as_of=as_of)
    got = loaded.predict(shop_facts[model_c.feature_columns_], params={"as_of": as_of.isoformat()})
    for column in (schema.CUSTOMER_ID, schema.BASE_SEGMENT, schema.SEGMENT, schema.SEGMENT_NAME):
        assert got[column].tolist() == expected[column].tolist(), column
    assert set(got[schema.AS_OF]) == {as_of}
    assert set(got[schema.RUN_ID]) == {run.run_id}
    assert set(got[schema.BASE_SEGMENT]) >= {"fresh", "women"}
    # without as_of the within_days rule is evaluated as of the fit facts' date
    default = loaded.predict(shop_facts[model_c.feature_columns_])
    assert set(default[schema.AS_OF]) == {pd.Timestamp(model_c.as_of_)}
    assert default[schema.SEGMENT].tolist() == expected[schema.SEGMENT].tolist()
