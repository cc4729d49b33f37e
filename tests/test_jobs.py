"""The fit job from Python, as a notebook runs it: the same steps and identities as the CLI."""

from __future__ import annotations

from contextlib import contextmanager

import pandas as pd

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
    assert stages == ["reading data", "computing facts", "sub-segmenting"]
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
    assert "facts:" not in capsys.readouterr().err
