"""The fit job from Python, as a notebook runs it: the same steps and identities as the CLI."""

from __future__ import annotations

from contextlib import contextmanager

import pandas as pd
import pytest

from metaseg import jobs
from metaseg.config import load_config
from metaseg.tracking import promote


def _config(tmp_path, **tracking):
    return load_config(
        {
            "name": "jobs-shop",
            "data": {"source": "synthetic", "synthetic": {"n_customers": 2_000, "seed": 1}},
            "segmentation": {"rules": "lifecycle", "n_bootstrap": 0},
            "tracking": {"experiment": "jobs", **tracking},
        }
    )


def test_run_fit_reports_through_hooks_and_keeps_the_champion_ids(tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    messages: list[str] = []
    stages: list[str] = []
    advanced: list[str] = []

    @contextmanager
    def stage(label):
        stages.append(label)
        yield advanced.append

    hooks = jobs.JobHooks(message=messages.append, stage=stage)
    config = _config(tmp_path, tracking_uri=uri, register="jobs-shop")

    first = jobs.run_fit(config, hooks=hooks)
    assert stages == ["reading data", "computing facts", "sub-segmenting", "logging to MLflow"]
    assert set(advanced) == set(first.model.segments_)
    assert any("no champion of 'jobs-shop' yet" in m for m in messages)
    assert first.run.registered_version == "1"
    assert len(first.model.labels_) == len(first.facts) == 2_000

    gates = {"min_stability": None, "min_sub_segment_size": None}
    promote("jobs-shop", "1", gates=gates, tracking_uri=uri)
    messages.clear()
    second = jobs.run_fit(config, hooks=hooks)
    assert any("identities against jobs-shop version 1" in m for m in messages)
    assert second.run.registered_version == "2"
    # the same data and seed: every sub-segment keeps the champion's code and size
    before = first.model.summary_.set_index("segment")["size"]
    after = second.model.summary_.set_index("segment")["size"]
    pd.testing.assert_series_equal(after.sort_index(), before.sort_index())


def test_run_fit_logs_by_default_without_printing(tmp_path, capsys, caplog):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    with caplog.at_level("INFO", logger="metaseg"):
        outcome = jobs.run_fit(_config(tmp_path), tracking_uri=uri)
    assert outcome.run.registered_version is None
    assert any("facts: 2,000 customers" in r.getMessage() for r in caplog.records)
    assert "facts:" not in capsys.readouterr().out


def test_score_and_drift_jobs_label_with_the_champion_and_report_drift(tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    config = _config(tmp_path, tracking_uri=uri, register="jobs-shop")
    fitted = jobs.run_fit(config)
    promote(
        "jobs-shop",
        "1",
        gates={"min_stability": None, "min_sub_segment_size": None},
        tracking_uri=uri,
    )

    out = tmp_path / "labels.parquet"
    stages: list[str] = []

    @contextmanager
    def stage(label):
        stages.append(label)
        yield lambda name: None

    hooks = jobs.JobHooks(message=lambda text: None, stage=stage)
    scored = jobs.run_score(
        config, "models:/jobs-shop@champion", out=out, tracking_uri=uri, hooks=hooks
    )
    assert stages == [
        "loading the model",
        "reading data",
        "computing facts",
        "scoring",
        "exporting labels",
    ]
    written = pd.read_parquet(out)
    assert len(written) == len(scored.labels) == 2_000
    assert set(written["model_name"]) == {"jobs-shop"}
    assert set(written["model_version"]) == {"1"}
    assert set(written["run_id"]) == {fitted.run.run_id}
    assert written["scored_at"].notna().all()
    assert scored.exports[0].delivered == 2_000
    # the same data as the fit: every customer keeps the fit's segment
    by_id = fitted.model.labels_.set_index("customer_id")["segment"]
    assert (
        written.set_index("customer_id")["segment"] == by_id.loc[written["customer_id"]].to_numpy()
    ).all()

    drift = jobs.run_drift(config, "jobs-shop", tracking_uri=uri, log=True)
    assert drift.loaded.version == "1"
    assert drift.logged_run_id is not None
    assert (drift.report.psi["psi"] < 0.1).all()  # nothing moved: the same shop
    files = jobs.save_drift_report(drift.report, tmp_path / "drift")
    assert {p.name for p in files} >= {"psi.csv", "shares.csv", "drift_psi.png"}


def test_a_version_number_is_scored_like_an_alias(tmp_path):
    from metaseg.exceptions import ModelNotFoundError

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    config = _config(tmp_path, tracking_uri=uri, register="jobs-shop")
    jobs.run_fit(config)
    gates = {"min_stability": None, "min_sub_segment_size": None}
    promote("jobs-shop", "1", gates=gates, tracking_uri=uri)
    second = jobs.run_fit(config)  # version 2, never promoted

    scored = jobs.run_score(config, "models:/jobs-shop/2", tracking_uri=uri)
    assert scored.loaded.version == "2" and scored.loaded.alias is None
    assert set(scored.labels["model_version"]) == {"2"}
    assert set(scored.labels["run_id"]) == {second.run.run_id}
    promoted = jobs.run_score(config, "models:/jobs-shop/1", tracking_uri=uri)
    assert promoted.loaded.model_sha256 == promoted.loaded.tags["metaseg.model_sha256"]
    with pytest.raises(ModelNotFoundError, match=r"no version '9' \(versions: \['1', '2'\]\)"):
        jobs.run_score(config, "models:/jobs-shop/9", tracking_uri=uri)
