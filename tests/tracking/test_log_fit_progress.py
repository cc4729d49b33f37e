"""log_fit shows its steps on a bar when asked, and stays quiet in batch jobs."""

from __future__ import annotations

from metaseg.tracking import log_fit
from metaseg.tracking.log_fit import LOG_STEPS


def test_steps_reach_a_callable_in_order(tmp_path, model_a, shop_facts, capsys) -> None:
    seen: list[str] = []
    log_fit(
        model_a,
        shop_facts,
        tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}",
        artifacts_dir=tmp_path / "out",
        progress=seen.append,
    )
    assert seen == list(LOG_STEPS)
    assert "logging the fit" not in capsys.readouterr().err


def test_a_bar_when_asked(tmp_path, model_a, shop_facts, capsys) -> None:
    log_fit(
        model_a,
        shop_facts,
        tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}",
        artifacts_dir=tmp_path / "out",
        progress=True,
    )
    err = capsys.readouterr().err
    assert "logging the fit" in err and f"0/{len(LOG_STEPS)}" in err
