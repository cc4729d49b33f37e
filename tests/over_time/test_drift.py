"""Drift reports: PSI against the fit, shares then and now, migration, warnings, MLflow."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from metaseg.exceptions import ConfigError, DataError
from metaseg.facts import compute_facts
from metaseg.over_time import DriftWarning, drift_report
from metaseg.over_time.drift import EVERYONE
from metaseg.tracking import log_drift


@pytest.fixture(scope="module")
def later(shop) -> pd.DataFrame:
    """The same customers 120 days later, with no new event: everybody got older."""
    return compute_facts(shop.events, shop.customers, as_of="2026-04-30")


@pytest.fixture(scope="module")
def late_report(model, facts, later):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = drift_report(model, later, reference_facts=facts, previous_labels=model.labels_)
    return report, [w for w in caught if issubclass(w.category, DriftWarning)]


def test_the_fit_data_does_not_drift(model, facts):
    with warnings.catch_warnings():
        warnings.simplefilter("error", DriftWarning)
        report = drift_report(model, facts, reference_facts=facts, previous_labels=model.labels_)
    assert report.ok
    assert (report.psi["psi"] == 0.0).all()
    facts_read = [c for c in model.feature_columns_ if c != "customer_id"]
    assert sorted(report.table()["fact"]) == sorted(facts_read)
    assert (report.shares["n_then"] == report.shares["n_now"]).all()
    assert report.overall["moved_share"] == 0.0
    assert int(np.trace(report.migration.to_numpy())) == len(facts)


def test_an_ageing_population_warns(late_report, model):
    report, caught = late_report
    assert not report.ok
    assert len(caught) == len(report.warnings)
    text = " ".join(report.warnings)
    assert "catch-all base segment 'other'" in text
    assert "empty now" in text and "active/0" in text  # nobody bought in the last 90 days
    psi = report.table().set_index("fact")["psi"]
    assert psi["recency_days"] > 0.25 and psi["frequency"] == 0.0
    shares = report.shares.set_index("segment")
    assert shares.loc["active/0", "n_then"] > 0 and shares.loc["active/0", "n_now"] == 0
    assert shares["share_now"].sum() == pytest.approx(1.0)
    assert report.overall["catch_all_share_now"] > report.overall["catch_all_share_then"]


def test_migration_counts_every_common_customer(late_report, model):
    report, _ = late_report
    matrix = report.migration
    assert int(matrix.to_numpy().sum()) == report.overall["n_common"] == len(model.labels_)
    # active customers became dormant (their last order is now 120+ days old)
    active_rows = matrix.loc[[i for i in matrix.index if i.startswith("active/")]]
    moved_to = {c.split("/")[0] for c in active_rows.columns[active_rows.sum() > 0]}
    assert moved_to == {"dormant"}


def test_previous_labels_read_back_from_csv_match(model, facts, tmp_path):
    path = tmp_path / "labels.csv"
    model.labels_.iloc[:1000].to_csv(path, index=False)
    previous = pd.read_csv(path).astype({"customer_id": "float64"})
    report = drift_report(model, facts, previous_labels=previous, warn=False)
    assert report.overall["n_common"] == 1000
    assert report.overall["n_only_now"] == len(facts) - 1000
    assert report.overall["moved_share"] == 0.0


def test_the_reference_stored_at_fit_gives_the_psi(model, facts):
    stored = drift_report(model, facts, warn=False)
    assert not stored.psi.empty
    # the fit facts against their own reference: no drift
    assert (stored.psi["psi"] < 0.01).all()


def test_without_reference_the_psi_is_skipped_and_said(model, facts):
    import copy

    older = copy.copy(model)
    del older.drift_reference_  # a model saved before references were stored
    report = drift_report(older, facts, warn=False)
    assert report.psi.empty
    assert "reference_facts" in report.skipped["every fact"]


def test_bad_inputs_are_named(model, facts):
    with pytest.raises(DataError, match="recency_days"):
        drift_report(model, facts.drop(columns=["recency_days"]))
    with pytest.raises(ConfigError, match="psi_majr"):
        drift_report(model, facts, thresholds={"psi_majr": 0.3})
    with pytest.raises(DataError, match="segment"):
        drift_report(model, facts, previous_labels=facts[["customer_id"]])
    repeated = pd.concat([model.labels_.head(3), model.labels_.head(3)])
    with pytest.raises(DataError, match="has 3 repeated customer_id"):
        drift_report(model, facts, previous_labels=repeated)


def test_thresholds_decide_the_warnings(model, facts, later):
    report = drift_report(
        model,
        later,
        reference_facts=facts,
        thresholds={"catch_all_growth": 0.99, "psi_major": 100.0, "psi_moderate": 50.0},
        warn=False,
    )
    assert not any("catch-all" in w for w in report.warnings)
    assert not any("PSI" in w for w in report.warnings)
    known = report.psi[report.psi["n_now"] > 0]
    assert set(known["level"]) == {"stable"}
    # a base segment nobody is in now has no PSI
    assert set(report.psi.loc[report.psi["n_now"] == 0, "level"]) <= {"unknown"}


def test_psi_per_base_segment(late_report):
    report, _ = late_report
    populations = set(report.psi["population"])
    assert EVERYONE in populations and "dormant" in populations


def test_log_drift_to_a_sqlite_store(late_report, tmp_path):
    import mlflow

    report, _ = late_report
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    run_id = log_drift(report, "shop", tracking_uri=uri)
    client = mlflow.MlflowClient(tracking_uri=uri)
    run = client.get_run(run_id)
    assert run.data.tags["metaseg.model_name"] == "shop"
    assert run.data.metrics["psi.recency_days"] == pytest.approx(
        report.table().set_index("fact").loc["recency_days", "psi"]
    )
    assert run.data.metrics["drift.n_warnings"] == len(report.warnings)
    files = {f.path for f in client.list_artifacts(run_id, "drift")}
    assert {"drift/psi.csv", "drift/shares.csv", "drift/migration.csv", "drift/drift.json"} <= files
    # a second report goes into the same run when given its id
    assert log_drift(report, run_id, tracking_uri=uri) == run_id


def test_plot_drift(late_report):
    from metaseg.plots.drift import plot_drift

    report, _ = late_report
    fig = plot_drift(report, "psi")
    ax = fig.axes[0]
    assert ax.get_xticklabels()[0].get_text() == EVERYONE
    assert len(ax.get_yticklabels()) == report.table()["fact"].nunique()
    fig = plot_drift(report, "migration")
    assert len(fig.axes[0].get_yticklabels()) == len(report.migration.index)
    with pytest.raises(ConfigError, match="what"):
        plot_drift(report, "sizes")
