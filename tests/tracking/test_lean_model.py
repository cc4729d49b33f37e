"""Registered models are scoring copies: small, identical labels, training labels fetched
from the run and checked; versions logged with their labels inside still load."""

from __future__ import annotations

import copy
import io
import warnings
from pathlib import Path

import joblib
import pandas as pd
import pytest

from metaseg import schema
from metaseg.datasets import make_shop
from metaseg.exceptions import TrackingError
from metaseg.facts import compute_facts
from metaseg.model import MetaSegmenter
from metaseg.tracking import QualityGates, load_champion, log_fit, names, promote

from .conftest import client_for

OPEN_GATES = QualityGates(min_stability=None, min_sub_segment_size=None, min_sub_segment_share=None)
ALGORITHMS = {
    "gmm": {"default": {"algorithm": "gmm"}},
    "kmeans": {"default": {"algorithm": "kmeans", "params": {"k_min": 2, "k_max": 4}}},
    "hdbscan": {"default": {"algorithm": "hdbscan", "params": {"min_cluster_size": 0.1}}},
}


@pytest.fixture(scope="module")
def facts() -> pd.DataFrame:
    customers, events, _ = make_shop(n_customers=2_500, seed=11)
    return compute_facts(events, customers)


@pytest.fixture(scope="module")
def lean_store(tmp_path_factory, facts):
    """One registered model per algorithm, each promoted to champion."""
    root = tmp_path_factory.mktemp("lean")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    fitted = {}
    for kind, spec in ALGORITHMS.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = MetaSegmenter(n_bootstrap=0, min_segment_size=100, random_state=0, **spec)
            model = model.fit(facts)
        run = log_fit(
            model,
            facts,
            experiment="lean",
            register=f"lean-{kind}",
            tracking_uri=uri,
            artifacts_dir=root / kind,
        )
        promote(f"lean-{kind}", run.registered_version, gates=OPEN_GATES, tracking_uri=uri)
        fitted[kind] = (model, run)
    return root, uri, fitted


@pytest.mark.parametrize("kind", list(ALGORITHMS))
def test_the_champion_scores_as_the_model_in_memory(lean_store, facts, kind):
    _, uri, fitted = lean_store
    model, run = fitted[kind]
    assert any(seg.split for seg in model.segments_.values())
    loaded = load_champion(f"lean-{kind}", tracking_uri=uri)
    assert not hasattr(loaded.model, "labels_")
    labels = loaded.predict(facts)
    assert labels[schema.SEGMENT].tolist() == model.labels_[schema.SEGMENT].tolist()
    assert labels[schema.SEGMENT_NAME].tolist() == model.labels_[schema.SEGMENT_NAME].tolist()
    pd.testing.assert_frame_equal(loaded.model.predict_proba(facts), model.predict_proba(facts))
    # the pickled artifact holds no row per customer: much smaller than the full model
    segmenter = run.local_dir / names.LOCAL_MODEL_PATH
    full = io.BytesIO()
    joblib.dump(model, full)
    assert segmenter.stat().st_size < len(full.getvalue()) / 2


@pytest.mark.parametrize("kind", ["kmeans", "hdbscan"])
def test_training_labels_come_from_the_run_and_edits_work_on_the_full_model(
    lean_store, facts, kind
):
    _, uri, fitted = lean_store
    model, run = fitted[kind]
    loaded = load_champion(f"lean-{kind}", tracking_uri=uri)
    pd.testing.assert_frame_equal(loaded.training_labels(), model.labels_)
    full = loaded.full_model()
    code = model.summary_[schema.SEGMENT].iloc[0]
    edited = full.rename({code: "Best"})
    assert edited.labels_[schema.SEGMENT_NAME].tolist() == (
        model.rename({code: "Best"}).labels_[schema.SEGMENT_NAME].tolist()
    )
    # the run holds the labels under training/, beside the stamped labels/ for analysts
    client = client_for(uri)
    listed = {f.path for f in client.list_artifacts(run.run_id, "training")}
    assert listed == {names.TRAINING_LABELS_PATH}


def test_modified_training_labels_are_refused(lean_store, facts):
    root, uri, fitted = lean_store
    model, _ = fitted["gmm"]
    run = log_fit(
        copy.deepcopy(model),
        facts,
        experiment="lean-tamper",
        register="lean-tamper",
        tracking_uri=uri,
        artifacts_dir=root / "tamper",
    )
    promote("lean-tamper", run.registered_version, gates=OPEN_GATES, tracking_uri=uri)
    client = client_for(uri)
    artifacts = Path(client.get_run(run.run_id).info.artifact_uri.removeprefix("file://"))
    stored = artifacts / names.TRAINING_LABELS_PATH
    changed = model.labels_.copy()
    changed[schema.SEGMENT_NAME] = "moved"
    changed.to_parquet(stored, index=False)
    loaded = load_champion("lean-tamper", tracking_uri=uri)
    assert loaded.predict(facts)[schema.SEGMENT].tolist() == model.labels_[schema.SEGMENT].tolist()
    with pytest.raises(TrackingError, match="does not match the sha256 the model recorded"):
        loaded.training_labels()
    stored.unlink()
    with pytest.raises(TrackingError, match="holds no readable 'training/fit_labels.parquet'"):
        loaded.full_model()


def test_a_version_logged_with_its_labels_inside_still_loads(lean_store, facts, tmp_path):
    """Versions logged before the scoring copy pickled the whole fitted model."""
    import mlflow

    from metaseg.provenance import Provenance
    from metaseg.tracking.log_fit import _ENTRY_FILE
    from metaseg.tracking.pyfunc import model_config, write_model_config
    from metaseg.tracking.signature import column_kinds
    from metaseg.tracking.store import tracking_session

    _, uri, fitted = lean_store
    model, _ = fitted["hdbscan"]
    segmenter = tmp_path / "segmenter.joblib"
    joblib.dump(model, segmenter)  # the old form: labels_ and every fit row inside
    config = write_model_config(
        tmp_path / "config.json",
        model_config(column_kinds(facts, list(model.feature_columns_)), Provenance(), None),
    )
    with tracking_session(uri) as client:
        experiment = client.create_experiment("lean-old")
        with mlflow.start_run(experiment_id=experiment):
            info = mlflow.pyfunc.log_model(
                name="model",
                python_model=str(_ENTRY_FILE),
                artifacts={"segmenter": str(segmenter), "config": str(config)},
            )
        version = mlflow.register_model(info.model_uri, "lean-old").version
    # this hand-made run logged no metrics: no gate can be measured
    no_gates = QualityGates(**dict.fromkeys(QualityGates.model_fields))
    promote("lean-old", version, gates=no_gates, tracking_uri=uri)
    loaded = load_champion("lean-old", tracking_uri=uri)
    assert len(loaded.model.labels_) == len(facts)
    assert loaded.predict(facts)[schema.SEGMENT].tolist() == model.labels_[schema.SEGMENT].tolist()
    assert loaded.training_labels() is loaded.model.labels_
    assert loaded.full_model() is loaded.model
    # and the pyfunc flavour of the same version scores it too
    with tracking_session(uri):
        pyfunc = mlflow.pyfunc.load_model(f"models:/lean-old/{version}")
        scored = pyfunc.predict(facts[list(model.feature_columns_)])
    assert scored[schema.SEGMENT].tolist() == model.labels_[schema.SEGMENT].tolist()
