"""``metaseg drift``: a promoted model against today's customers, from the command line."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from metaseg.cli.main import main
from metaseg.datasets import make_shop
from metaseg.facts import compute_facts
from metaseg.model import MetaSegmenter

#: A tiny shop: every quality gate off so that the fit can be promoted.
NO_GATES = {
    "min_stability": None,
    "min_sub_segment_size": None,
    "min_sub_segment_share": None,
    "max_catch_all_share": None,
    "max_noise_share": None,
}


@pytest.fixture(scope="module")
def champion(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path, pd.DataFrame]:
    """A model fitted on the config's synthetic shop as of 2025-09-30, promoted as champion."""
    from metaseg.tracking import log_fit, promote

    root = tmp_path_factory.mktemp("drift-cli")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    config = root / "shop.yaml"
    config.write_text(
        "data:\n  source: synthetic\n  synthetic: {n_customers: 800, seed: 2}\n", encoding="utf-8"
    )
    customers, events, _ = make_shop(n_customers=800, seed=2)
    facts = compute_facts(
        events[events["timestamp"] < pd.Timestamp("2025-09-30", tz="UTC")],
        customers,
        as_of="2025-09-30",
    )
    model = MetaSegmenter(
        n_bootstrap=0, min_segment_size=60, default={"params": {"k_min": 2, "k_max": 3}}
    ).fit(facts)
    run = log_fit(model, facts, register="shop", tracking_uri=uri, artifacts_dir=root / "fit")
    promote("shop", run.registered_version, gates=NO_GATES, tracking_uri=uri)
    return uri, config, model.labels_


def test_drift_prints_saves_and_logs(champion, tmp_path, capsys):
    import mlflow

    uri, config, fit_labels = champion
    previous = tmp_path / "previous.csv"
    fit_labels.to_csv(previous, index=False)
    out = tmp_path / "drift"
    code = main(
        [
            "drift",
            "--model",
            "models:/shop@champion",
            "--config",
            str(config),
            "--as-of",
            "2025-12-31",
            "--previous-labels",
            str(previous),
            "--tracking-uri",
            uri,
            "--out",
            str(out),
            "--log",
            "--quiet",
        ]
    )
    printed = capsys.readouterr().out
    assert code == 0
    assert "DriftReport: 800 customers at fit" in printed
    assert "Population stability index" in printed and "Migration since" in printed
    for name in ("psi.csv", "shares.csv", "migration.csv", "drift_psi.png", "drift_migration.png"):
        assert (out / name).stat().st_size > 0
    shares = pd.read_csv(out / "shares.csv")
    assert shares["n_then"].sum() == len(fit_labels)
    runs = mlflow.MlflowClient(tracking_uri=uri).search_runs(
        [
            mlflow.MlflowClient(tracking_uri=uri)
            .get_experiment_by_name("metaseg-drift/shop")
            .experiment_id
        ]
    )
    assert len(runs) == 1 and "drift.psi_max" in runs[0].data.metrics


def test_fail_on_warning_sets_the_exit_code(champion, capsys):
    uri, config, _ = champion
    code = main(
        [
            "drift",
            "--model",
            "shop",
            "--config",
            str(config),
            "--as-of",
            "2026-06-30",
            "--tracking-uri",
            uri,
            "--fail-on-warning",
            "--quiet",
        ]
    )
    printed = capsys.readouterr().out
    assert code == 1
    assert "warning:" in printed


def test_unknown_model_is_a_usage_error(champion, capsys):
    uri, config, _ = champion
    code = main(["drift", "--model", "models:/nope@champion", "--tracking-uri", uri, "--quiet"])
    assert code == 2
    assert "nope" in capsys.readouterr().err


@pytest.mark.parametrize("as_of", ["0001-01-01", "2262-04-12"])
def test_as_of_out_of_range_is_a_usage_error(champion, as_of, capsys):
    uri, config, _ = champion
    code = main(
        ["drift", "--model", "shop", "--config", str(config), "--as-of", as_of]
        + ["--tracking-uri", uri, "--quiet"]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert f"as_of {as_of!r} is outside" in err and "unexpected" not in err
