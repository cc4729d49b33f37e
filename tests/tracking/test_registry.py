"""Promotion through quality gates, integrity of promoted models, loading the champion."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from metaseg import schema
from metaseg.exceptions import ConfigError, GateRefusedError, TrackingError
from metaseg.tracking import (
    QualityGates,
    hash_directory,
    load_champion,
    log_fit,
    promote,
)

from .conftest import client_for

#: Gates no fit can pass: a sub-segment as large as all customers, a perfect silhouette.
IMPOSSIBLE = QualityGates(
    min_stability=None,
    min_sub_segment_share=None,
    min_sub_segment_size=10**9,
    min_silhouette=1.0,
)


def lenient_gates(model) -> QualityGates:
    """Thresholds just below what ``model`` achieved, so every gate passes on real values."""
    overall = model.overall_metrics_
    split = model.metrics_[model.metrics_["split"]]
    smallest = (split["smallest_share"] * split["n_customers"]).round().min()
    return QualityGates(
        min_stability=overall["stability_min"] - 0.01,
        max_noise_share=min(1.0, overall["noise_share"] + 0.01),
        min_sub_segment_share=float(smallest / overall["n_customers"]) * 0.99,
        min_sub_segment_size=int(smallest),
        max_catch_all_share=min(1.0, overall["catch_all_share"] + 0.01),
        min_silhouette=overall["silhouette"] - 0.01,
    )


@pytest.fixture(scope="module")
def champion(store, model_a):
    """Version 1 promoted to champion with gates it passes."""
    gates = lenient_gates(model_a)
    return promote("shop", store.run_a.registered_version, gates=gates, tracking_uri=store.uri)


def test_promotion_moves_the_alias_and_records_why(store, champion, model_a) -> None:
    client = client_for(store.uri)
    assert champion.alias == "champion"
    assert champion.version == "1"
    assert champion.previous_version is None
    assert champion.gates_passed
    assert str(client.get_model_version_by_alias("shop", "champion").version) == "1"
    tags = client.get_model_version("shop", "1").tags
    assert tags["metaseg.gates_passed"] == "true"
    assert tags["metaseg.promoted_alias"] == "champion"
    assert datetime.fromisoformat(tags["metaseg.promoted_at"]).tzinfo is not None
    assert "metaseg" in tags["metaseg.promoted_by"]
    noise = json.loads(tags["metaseg.gate.max_noise_share"])
    assert noise["value"] == pytest.approx(model_a.overall_metrics_["noise_share"])
    assert noise["passed"] is True and noise["op"] == "<="
    silhouette = json.loads(tags["metaseg.gate.min_silhouette"])
    assert silhouette["value"] == pytest.approx(model_a.overall_metrics_["silhouette"])


def test_promotion_records_the_sha256_of_the_model_files(store, champion) -> None:
    client = client_for(store.uri)
    location = client.get_model_version_download_uri("shop", "1")
    local = Path(location.removeprefix("file://"))
    assert (local / "MLmodel").is_file()
    expected = hash_directory(local)
    assert champion.model_sha256 == expected
    assert client.get_model_version("shop", "1").tags["metaseg.model_sha256"] == expected
    assert store.run_a.model_sha256 == expected  # unchanged since logging


def test_failing_gates_refuse_and_keep_the_alias(store, champion, model_b) -> None:
    with pytest.raises(GateRefusedError) as caught:
        promote("shop", "2", gates=IMPOSSIBLE, tracking_uri=store.uri)
    message = str(caught.value)
    split = model_b.metrics_[model_b.metrics_["split"]]
    smallest = int((split["smallest_share"] * split["n_customers"]).round().min())
    assert "min_sub_segment_size" in message
    assert f"{smallest} < 1e+09" in message
    assert "min_silhouette" in message
    assert f"{model_b.overall_metrics_['silhouette']:.4g} < 1" in message
    assert "max_noise_share" not in message  # a passing gate is not listed as failed
    assert "still points to version 1" in message
    assert {g.name for g in caught.value.gates if not g.passed} == {
        "min_sub_segment_size",
        "min_silhouette",
    }
    client = client_for(store.uri)
    assert str(client.get_model_version_by_alias("shop", "champion").version) == "1"
    tags = client.get_model_version("shop", "2").tags
    assert tags["metaseg.gates_passed"] == "false"
    assert json.loads(tags["metaseg.gate.min_silhouette"])["passed"] is False
    assert "metaseg.promoted_at" not in tags


def test_challenger_is_set_even_when_gates_fail(store, champion) -> None:
    result = promote("shop", 2, alias="challenger", gates=IMPOSSIBLE, tracking_uri=store.uri)
    assert not result.gates_passed
    client = client_for(store.uri)
    assert str(client.get_model_version_by_alias("shop", "challenger").version) == "2"
    assert str(client.get_model_version_by_alias("shop", "champion").version) == "1"
    assert client.get_model_version("shop", "2").tags["metaseg.promoted_alias"] == "challenger"


def test_default_gates_need_a_measured_stability(store, champion) -> None:
    # fit b was made with n_bootstrap=0: the stability gate cannot pass
    with pytest.raises(GateRefusedError, match="stability not measured"):
        promote("shop", "2", tracking_uri=store.uri)
    tags = client_for(store.uri).get_model_version("shop", "2").tags
    stability = json.loads(tags["metaseg.gate.min_stability"])
    assert stability["passed"] is False and stability["value"] is None
    # the verdict of a gate not checked this time (min_silhouette is off by default) is gone
    assert "metaseg.gate.min_silhouette" not in tags


def test_load_champion_in_process(store, champion, model_a, shop_facts) -> None:
    loaded = load_champion("shop", tracking_uri=store.uri)
    assert (loaded.name, loaded.version, loaded.alias) == ("shop", "1", "champion")
    assert loaded.run_id == store.run_a.run_id
    assert loaded.model_sha256 == champion.model_sha256
    labels = loaded.predict(shop_facts)
    assert labels[schema.SEGMENT].tolist() == model_a.labels_[schema.SEGMENT].tolist()
    assert set(labels[schema.MODEL_VERSION]) == {"1"}


FRESH_PROCESS = textwrap.dedent(
    """
    import sys

    import mlflow
    import pandas as pd

    from metaseg.tracking import load_champion

    uri, facts_path, out = sys.argv[1:4]
    facts = pd.read_parquet(facts_path)
    as_of = facts["as_of_probe"].iloc[0]
    facts = facts.drop(columns=["as_of_probe"])
    champion = load_champion("shop", tracking_uri=uri)
    champion.predict(facts, as_of=as_of).to_parquet(out + "/champion.parquet")
    mlflow.set_tracking_uri(uri)
    model = mlflow.pyfunc.load_model("models:/shop@champion")
    model.predict(facts, params={"as_of": as_of.isoformat()}).to_parquet(out + "/pyfunc.parquet")
    """
)


def test_champion_scores_the_same_in_a_fresh_process(
    store, champion, model_a, shop_facts, tmp_path
) -> None:
    as_of = pd.Timestamp(shop_facts.attrs["as_of"])
    to_score = shop_facts.assign(as_of_probe=as_of)
    to_score.attrs = {}  # the as-of date travels as a column instead
    to_score.to_parquet(tmp_path / "facts.parquet")
    script = tmp_path / "score.py"
    script.write_text(FRESH_PROCESS)
    done = subprocess.run(
        [sys.executable, str(script), store.uri, str(tmp_path / "facts.parquet"), str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    expected = model_a.predict(shop_facts, as_of=as_of)
    for name in ("champion.parquet", "pyfunc.parquet"):
        labels = pd.read_parquet(tmp_path / name)
        assert list(labels.columns) == list(schema.LABEL_COLUMNS), name
        for column in (schema.CUSTOMER_ID, schema.SEGMENT, schema.SUB_SEGMENT, schema.SEGMENT_NAME):
            assert labels[column].tolist() == expected[column].tolist(), (name, column)
        assert set(labels[schema.MODEL_NAME]) == {"shop"}, name
        assert set(labels[schema.MODEL_VERSION]) == {"1"}, name
        assert set(labels[schema.RUN_ID]) == {store.run_a.run_id}, name
        assert set(labels[schema.AS_OF]) == {as_of}, name


@pytest.fixture(scope="module")
def tampered(store, model_a, shop_facts):
    """A separate registered model, promoted, then one of its files modified on disk."""
    run = log_fit(
        copy.deepcopy(model_a),  # the session model keeps its own run id
        shop_facts,
        experiment="tamper-exp",
        register="shop-tamper",
        tracking_uri=store.uri,
        artifacts_dir=store.root / "out-tamper",
    )
    promote(
        "shop-tamper",
        run.registered_version,
        gates=QualityGates(
            min_stability=None, min_sub_segment_size=None, min_sub_segment_share=None
        ),
        tracking_uri=store.uri,
    )
    client = client_for(store.uri)
    location = client.get_model_version_download_uri("shop-tamper", run.registered_version)
    segmenter = Path(location.removeprefix("file://")) / "artifacts" / "segmenter.joblib"
    assert segmenter.is_file()
    with open(segmenter, "ab") as fh:
        fh.write(b"\0tampered")
    return run


def test_tampered_artifacts_are_refused_at_load(store, tampered) -> None:
    with pytest.raises(TrackingError, match="do not match the sha256 recorded at promotion"):
        load_champion("shop-tamper", tracking_uri=store.uri)


def test_tampered_artifacts_cannot_be_promoted_again(store, tampered) -> None:
    with pytest.raises(TrackingError, match="changed since they were logged"):
        promote(
            "shop-tamper", tampered.registered_version, alias="challenger", tracking_uri=store.uri
        )


def test_unknown_version_is_a_clear_error(store) -> None:
    with pytest.raises(TrackingError, match=r"has no version '7'; its versions are \['1', '2'\]"):
        promote("shop", 7, tracking_uri=store.uri)
    with pytest.raises(TrackingError, match="does not exist"):
        promote("no-such-model", 1, tracking_uri=store.uri)


def test_missing_alias_is_a_clear_error(store, champion) -> None:
    with pytest.raises(TrackingError, match="has no alias 'gold'"):
        load_champion("shop", alias="gold", tracking_uri=store.uri)


def test_version_promoted_outside_metaseg_cannot_be_verified(store, champion) -> None:
    client = client_for(store.uri)
    # as if version 2 had never been promoted by metaseg, then given an alias by hand
    if "metaseg.model_sha256" in client.get_model_version("shop", "2").tags:
        client.delete_model_version_tag("shop", "2", "metaseg.model_sha256")
    client.set_registered_model_alias("shop", "manual", "2")
    with pytest.raises(TrackingError, match="no recorded metaseg.model_sha256"):
        load_champion("shop", alias="manual", tracking_uri=store.uri)


@pytest.mark.parametrize("alias", ["", "latest", "v3", "has space", 3])
def test_bad_alias_is_refused(store, alias) -> None:
    with pytest.raises(ConfigError, match="alias"):
        promote("shop", 1, alias=alias, tracking_uri=store.uri)


def test_bad_gates_are_refused(store) -> None:
    with pytest.raises(ConfigError, match="min_stabilty"):
        promote("shop", 1, gates={"min_stabilty": 0.5}, tracking_uri=store.uri)
