"""score_spark labels Spark facts exactly as the fitted segmenter labels pandas facts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from metaseg import schema
from metaseg.exceptions import DataError, TrackingError
from metaseg.model import MetaSegmenter
from metaseg.spark import score_spark

from .conftest import AS_OF, NO_PYSPARK

pytest.importorskip("pyspark", reason=NO_PYSPARK)
pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas")
LABELS = [
    schema.CUSTOMER_ID,
    schema.BASE_SEGMENT,
    schema.SUB_SEGMENT,
    schema.SEGMENT,
    schema.SEGMENT_NAME,
    schema.MODEL_NAME,
    schema.MODEL_VERSION,
    schema.RUN_ID,
]


@pytest.fixture(scope="session")
def champion(duckdb_facts: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A small model fitted on the DuckDB facts, logged, registered and promoted."""
    from metaseg.tracking import log_fit, promote

    model = MetaSegmenter(
        n_bootstrap=0,
        min_segment_size=40,
        default={"algorithm": "kmeans", "params": {"k_min": 2, "k_max": 3}},
        random_state=0,
    ).fit(duckdb_facts)
    folder: Path = tmp_path_factory.mktemp("mlflow")
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    run = log_fit(
        model,
        duckdb_facts,
        register="shop",
        tracking_uri=uri,
        artifacts_dir=folder / "out",
    )
    gates = dict.fromkeys(
        (
            "min_stability",
            "max_noise_share",
            "min_sub_segment_share",
            "min_sub_segment_size",
            "max_catch_all_share",
        ),
    )
    promote("shop", run.registered_version, gates=gates, tracking_uri=uri)
    return model, uri, run


def test_spark_labels_equal_pandas_labels(
    spark_facts: Any, duckdb_facts: pd.DataFrame, champion: Any
) -> None:
    model, uri, run = champion
    labels = score_spark(spark_facts, "models:/shop@champion", as_of=AS_OF, tracking_uri=uri)
    assert labels.columns == list(schema.LABEL_COLUMNS)
    got = labels.toPandas().sort_values(schema.CUSTOMER_ID, ignore_index=True)
    expected = model.predict(duckdb_facts)
    assert len(got) == len(expected)
    for column in (
        schema.CUSTOMER_ID,
        schema.BASE_SEGMENT,
        schema.SUB_SEGMENT,
        schema.SEGMENT,
        schema.SEGMENT_NAME,
    ):
        assert got[column].tolist() == expected[column].tolist(), column
    # several base segments, and some of them split into sub-segments
    assert got[schema.BASE_SEGMENT].nunique() >= 4 and (got[schema.SUB_SEGMENT] > 0).any()
    # the labels name the registered version the alias points to
    assert set(got[schema.MODEL_NAME]) == {"shop"}
    assert set(got[schema.MODEL_VERSION]) == {run.registered_version}
    assert set(got[schema.RUN_ID]) == {run.run_id}
    assert (pd.to_datetime(got[schema.AS_OF]) == pd.Timestamp(AS_OF)).all()


def test_unknown_alias_is_a_tracking_error(spark_facts: Any, champion: Any) -> None:
    _, uri, _ = champion
    with pytest.raises(TrackingError, match="models:/shop@nobody"):
        score_spark(spark_facts, "models:/shop@nobody", tracking_uri=uri)


def test_unpromoted_version_is_refused(spark_facts: Any, champion: Any) -> None:
    """The model files are checked against the digest recorded at promotion."""
    from mlflow import MlflowClient

    _, uri, run = champion
    client = MlflowClient(uri)
    client.delete_model_version_tag("shop", run.registered_version, "metaseg.model_sha256")
    try:
        with pytest.raises(TrackingError, match="cannot be verified"):
            score_spark(spark_facts, f"models:/shop/{run.registered_version}", tracking_uri=uri)
    finally:
        client.set_model_version_tag(
            "shop", run.registered_version, "metaseg.model_sha256", run.model_sha256
        )


def test_missing_fact_is_named(spark_facts: Any, champion: Any) -> None:
    _, uri, _ = champion
    with pytest.raises(DataError, match="'recency_days'"):
        score_spark(spark_facts.drop("recency_days"), "models:/shop@champion", tracking_uri=uri)


def test_pandas_facts_are_refused(duckdb_facts: pd.DataFrame) -> None:
    with pytest.raises(DataError, match="pyspark.sql.DataFrame"):
        score_spark(duckdb_facts, "models:/shop@champion")
