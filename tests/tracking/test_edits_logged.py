"""An edited model logged to MLflow: its edits recorded, and the loaded model replays them."""

from __future__ import annotations

import json

from metaseg import schema
from metaseg.tracking import load_champion, log_fit, promote
from metaseg.tracking.names import EDITS_PATH, TAG_N_EDITS

from .conftest import client_for


def test_edits_are_logged_and_the_registered_model_honours_them(
    tmp_path, shop_facts, model_a, monkeypatch
) -> None:
    import mlflow

    codes = model_a.summary_.loc[model_a.summary_[schema.BASE_SEGMENT] == "active", "segment"]
    edited = model_a.merge(codes.tolist()[:2], shop_facts, name="Joined")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    run = log_fit(
        edited, shop_facts, register="edited", tracking_uri=uri, artifacts_dir=tmp_path / "out"
    )
    client = client_for(uri)
    assert client.get_run(run.run_id).data.tags[TAG_N_EDITS] == "1"
    path = client.download_artifacts(run.run_id, EDITS_PATH, str(tmp_path / "dl"))
    with open(path, encoding="utf-8") as handle:
        assert json.load(handle) == edited.edits()
    promote("edited", run.registered_version, alias="challenger", tracking_uri=uri)
    loaded = load_champion("edited", alias="challenger", tracking_uri=uri).model
    assert loaded.edits() == edited.edits()
    scored = loaded.predict(shop_facts)
    assert scored[schema.SEGMENT].tolist() == edited.labels_[schema.SEGMENT].tolist()
    assert (
        scored.loc[scored[schema.SEGMENT] == codes.iloc[0], schema.SEGMENT_NAME] == "Joined"
    ).all()
    # the environment, not mlflow.set_tracking_uri: a process-wide URI would leak into
    # the tests that follow
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    pyfunc = mlflow.pyfunc.load_model(f"models:/edited/{run.registered_version}")
    served = pyfunc.predict(shop_facts[list(edited.feature_columns_)])
    assert served[schema.SEGMENT].tolist() == edited.labels_[schema.SEGMENT].tolist()
