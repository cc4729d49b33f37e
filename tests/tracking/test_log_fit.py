"""log_fit against a real temporary sqlite store: what one fit's run holds."""

from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.exceptions import NotFittedError

import metaseg
from metaseg import schema
from metaseg.exceptions import ConfigError, DataError
from metaseg.model import MetaSegmenter
from metaseg.tracking import log_fit
from metaseg.tracking.names import LABELS_PATH, REPORT_PATH
from metaseg.tracking.run_data import fit_params

from .conftest import SHOP_CONFIG, client_for


def _run(store, fit_run):
    return client_for(store.uri).get_run(fit_run.run_id)


def test_fit_run_describes_the_logged_run(store, model_a) -> None:
    run = store.run_a
    assert run.tracking_uri == store.uri
    assert run.registered_name == "shop"
    assert run.registered_version == "1"
    assert store.run_b.registered_version == "2"
    assert run.model_uri.startswith("models:/")
    assert len(run.model_sha256) == 64
    # logging does not write onto the model: its own labels carry no provenance
    assert not hasattr(model_a, "run_id_")
    assert model_a.labels_["model_name"].isna().all()
    assert model_a.labels_["scored_at"].isna().all()
    mlflow_run = _run(store, run)
    assert mlflow_run.info.run_name == "fit-a"
    assert mlflow_run.info.status == "FINISHED"
    assert mlflow_run.info.experiment_id == run.experiment_id


def test_params_hold_only_the_segmentation_parameters(store, model_a, model_b) -> None:
    for run, model in ((store.run_a, model_a), (store.run_b, model_b)):
        params = _run(store, run).data.params
        assert params == fit_params(model)
        assert not {"run_id", "model_name", "model_version", "as_of"} & params.keys()
        assert not any(key.startswith("kinds") for key in params)
        assert "None" not in {params.get("model_version"), params.get("run_id")}


def test_the_report_page_is_logged_when_a_writer_is_given(store, model_a) -> None:
    client = client_for(store.uri)
    logged = {a.path for a in client.list_artifacts(store.run_a.run_id, "report")}
    assert logged == {REPORT_PATH}
    page = Path(client.download_artifacts(store.run_a.run_id, REPORT_PATH, str(store.root)))
    text = page.read_text(encoding="utf-8")
    for code in model_a.summary_["segment"]:
        assert f'data-segment="{code}"' in text
    assert (store.run_a.local_dir / REPORT_PATH).is_file()
    # run b was logged without a report writer
    assert not list(client.list_artifacts(store.run_b.run_id, "report"))


def test_params_are_the_flattened_resolved_config(store, model_a) -> None:
    params = _run(store, store.run_a).data.params
    spec = model_a.spec_
    assert params["rules"] == spec.rules
    assert params["min_segment_size"] == str(spec.min_segment_size)
    assert params["n_bootstrap"] == "1"
    assert params["default.algorithm"] == "kmeans"
    assert params["default.params.k_max"] == "4"
    # resolved defaults are logged too, e.g. the feature preprocessing
    assert params["default.features.scaling"] == spec.default.features.scaling
    assert params["names"] == "{}"
    assert all(len(v) <= 6000 for v in params.values())


def test_metrics_are_overall_and_per_segment_without_nan(store, model_a, model_b) -> None:
    metrics = _run(store, store.run_a).data.metrics
    for name, value in model_a.overall_metrics_.items():
        if math.isfinite(value):
            assert metrics[f"overall.{name}"] == pytest.approx(value)
        else:
            assert f"overall.{name}" not in metrics
    for segment, row in model_a.metrics_.iterrows():
        assert metrics[f"segment.{segment}.n_customers"] == row["n_customers"]
        assert metrics[f"segment.{segment}.split"] == float(row["split"])
        if np.isfinite(row["silhouette"]):
            assert metrics[f"segment.{segment}.silhouette"] == pytest.approx(row["silhouette"])
        else:
            assert f"segment.{segment}.silhouette" not in metrics
        assert f"segment.{segment}.algorithm" not in metrics  # text is a tag, not a metric
    # model_b has no stability (n_bootstrap=0): nothing logged rather than NaN
    metrics_b = _run(store, store.run_b).data.metrics
    assert "overall.stability_min" not in metrics_b
    assert all(math.isfinite(v) for v in metrics_b.values())


def test_tags_record_provenance(store, model_a, shop_facts) -> None:
    tags = _run(store, store.run_a).data.tags
    assert tags["metaseg.version"] == metaseg.__version__
    assert tags["metaseg.as_of"] == pd.Timestamp(shop_facts.attrs["as_of"]).isoformat()
    assert tags["metaseg.events_digest"] == "events-sha-123"
    assert tags["metaseg.n_customers"] == str(len(shop_facts))
    assert tags["metaseg.model_sha256"] == store.run_a.model_sha256
    assert tags["team"] == "crm"
    for segment, algorithm in model_a.metrics_["algorithm"].items():
        assert tags[f"metaseg.algorithm.{segment}"] == algorithm
    # why each base segment was split or left whole
    for segment, reason in model_a.metrics_["reason"].items():
        assert tags[f"metaseg.decision.{segment}"] == reason
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10, check=False
    )
    if head.returncode == 0:
        assert tags["metaseg.git_commit"] == head.stdout.strip()
    else:
        assert "metaseg.git_commit" not in tags


def test_facts_are_logged_as_the_training_dataset(store, shop_facts) -> None:
    run = _run(store, store.run_a)
    inputs = run.inputs.dataset_inputs
    assert len(inputs) == 1
    dataset = inputs[0].dataset
    assert dataset.name == "facts"
    assert json.loads(dataset.profile)["num_rows"] == len(shop_facts)
    columns = [c["name"] for c in json.loads(dataset.schema)["mlflow_colspec"]]
    assert columns == list(shop_facts.columns)
    assert {t.key: t.value for t in inputs[0].tags}["mlflow.data.context"] == "training"
    assert run.data.tags["metaseg.facts_digest"] == dataset.digest


def test_artifacts_are_logged(store, model_a, tmp_path) -> None:
    client = client_for(store.uri)
    run_id = store.run_a.run_id
    listed = {
        f.path
        for folder in ("labels", "profiles", "summary", "config", "data_report")
        for f in client.list_artifacts(run_id, folder)
    }
    assert {
        "labels/labels.parquet",
        "profiles/profiles.parquet",
        "profiles/profiles.csv",
        "summary/sub_segments.csv",
        "summary/base_segments.csv",
        "summary/k_selection.csv",
        "summary/overall_metrics.json",
        "config/config.yaml",
        "config/segmentation.yaml",
        "data_report/data_report.csv",
    } <= listed
    profiles = pd.read_parquet(
        client.download_artifacts(run_id, "profiles/profiles.parquet", tmp_path)
    )
    pd.testing.assert_frame_equal(profiles, model_a.profiles_, check_dtype=False)
    evidence = pd.read_csv(client.download_artifacts(run_id, "summary/k_selection.csv", tmp_path))
    expected = model_a.k_selection_.reset_index()
    assert (
        evidence[["base_segment", "k"]].values.tolist()
        == expected[["base_segment", "k"]].values.tolist()
    )
    np.testing.assert_allclose(evidence["inertia"], expected["inertia"])
    chosen = evidence[evidence["chosen"]].set_index("base_segment")["k"]
    assert chosen.to_dict() == model_a.metrics_.loc[chosen.index, "k"].astype(int).to_dict()
    report = pd.read_csv(client.download_artifacts(run_id, "data_report/data_report.csv", tmp_path))
    assert report[["step", "rows"]].values.tolist() == [["validate_events", 3]]
    config = yaml.safe_load(
        Path(client.download_artifacts(run_id, "config/config.yaml", tmp_path)).read_text()
    )
    assert config == yaml.safe_load(SHOP_CONFIG.read_text())
    # the run without a data report has none
    assert client.list_artifacts(store.run_b.run_id, "data_report") == []


def test_plots_are_drawn_by_the_writer_given_and_never_by_tracking(store) -> None:
    client = client_for(store.uri)
    # run a was logged with plots=metaseg.plots.save_all, run b without a writer
    names = {a.path for a in client.list_artifacts(store.run_a.run_id, "plots")}
    assert names, "save_all was given but no plot was logged"
    assert client.list_artifacts(store.run_b.run_id, "plots") == []


def test_logged_labels_name_the_run_and_version(store, model_a, tmp_path) -> None:
    client = client_for(store.uri)
    path = client.download_artifacts(store.run_a.run_id, LABELS_PATH, tmp_path)
    labels = pd.read_parquet(path)
    assert labels[schema.CUSTOMER_ID].tolist() == model_a.labels_[schema.CUSTOMER_ID].tolist()
    assert labels[schema.SEGMENT].tolist() == model_a.labels_[schema.SEGMENT].tolist()
    assert set(labels[schema.RUN_ID]) == {store.run_a.run_id}
    assert set(labels[schema.MODEL_NAME]) == {"shop"}
    assert set(labels[schema.MODEL_VERSION]) == {"1"}
    # the local copy is the same file
    local = pd.read_parquet(store.run_a.local_dir / LABELS_PATH)
    pd.testing.assert_frame_equal(local, labels)


def test_local_copy_holds_every_output(store, model_a, shop_facts) -> None:
    import joblib

    folder = store.run_a.local_dir
    assert folder == (store.root / "out-a").resolve()
    for relative in (
        "labels/labels.parquet",
        "profiles/profiles.parquet",
        "profiles/profiles.csv",
        "summary/sub_segments.csv",
        "config/config.yaml",
        "model/segmenter.joblib",
    ):
        assert (folder / relative).is_file(), relative
    reloaded = joblib.load(folder / "model/segmenter.joblib")
    again = reloaded.predict(shop_facts)
    assert again[schema.SEGMENT].tolist() == model_a.labels_[schema.SEGMENT].tolist()
    # the estimator does not know its run: a loaded champion or the pyfunc model stamps it
    assert again[schema.RUN_ID].isna().all()
    assert not list(folder.rglob("*.metaseg-tmp-*")), "temporary files were left behind"


def test_registered_version_is_tagged_with_key_metrics(store, model_a) -> None:
    version = client_for(store.uri).get_model_version("shop", "1")
    assert version.run_id == store.run_a.run_id
    for name in ("silhouette", "n_sub_segments", "noise_share"):
        assert float(version.tags[f"overall.{name}"]) == pytest.approx(
            model_a.overall_metrics_[name], rel=1e-5
        )


def test_artifacts_of_a_sqlite_store_live_beside_the_database(store) -> None:
    experiment = client_for(store.uri).get_experiment(store.run_a.experiment_id)
    assert experiment.artifact_location.startswith((store.root / "mlruns").as_uri())


def test_unfitted_model_is_refused(shop_facts, tmp_path) -> None:
    with pytest.raises(NotFittedError):
        log_fit(
            MetaSegmenter(),
            shop_facts,
            tracking_uri=f"sqlite:///{tmp_path}/x.db",
            artifacts_dir=tmp_path / "out",
        )
    assert not (tmp_path / "out").exists()


def test_facts_without_a_model_column_are_refused(model_a, shop_facts, tmp_path) -> None:
    facts = shop_facts.drop(columns=["recency_days"])
    with pytest.raises(DataError, match="recency_days"):
        log_fit(
            model_a,
            facts,
            tracking_uri=f"sqlite:///{tmp_path}/x.db",
            artifacts_dir=tmp_path / "out",
        )
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"tags": {"metaseg.version": "x"}}, "metaseg.version"),
        ({"experiment": ""}, "experiment"),
        ({"register": "  "}, "register"),
    ],
)
def test_bad_arguments_are_refused_before_any_io(model_a, shop_facts, tmp_path, kwargs, match):
    with pytest.raises(ConfigError, match=match):
        log_fit(
            model_a,
            shop_facts,
            tracking_uri=f"sqlite:///{tmp_path}/x.db",
            artifacts_dir=tmp_path / "out",
            **kwargs,
        )
    assert not (tmp_path / "out").exists()
