"""Webhook exports report each settled batch to a progress callback."""

from __future__ import annotations

import pandas as pd
import pytest

from metaseg.exceptions import ExportWarning
from metaseg.export import export_labels


def _labels(n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": range(n),
            "base_segment": "active",
            "sub_segment": 0,
            "segment": "active/0",
            "segment_name": "Active",
            "model_name": "m",
            "model_version": "1",
            "run_id": "r",
            "as_of": pd.Timestamp("2025-01-01", tz="UTC"),
            "scored_at": pd.Timestamp("2025-01-02", tz="UTC"),
        }
    )


def test_progress_sees_every_batch_even_when_delivery_fails(tmp_path, monkeypatch):
    monkeypatch.setenv("METASEG_WEBHOOK_SECRET", "s")
    seen: list[int] = []
    # nothing listens on port 9: every batch fails fast and goes to the dead letters
    with pytest.warns(ExportWarning, match="250 label"):
        result = export_labels(
            _labels(250),
            "http://127.0.0.1:9/hook",
            batch_size=100,
            max_attempts=1,
            state_dir=tmp_path,
            progress=seen.append,
        )
    assert seen == [100, 100, 50]
    assert result.failed == 250


@pytest.mark.parametrize("progress", [None, True])
def test_a_bar_is_drawn_when_asked_and_quiet_otherwise(tmp_path, monkeypatch, capsys, progress):
    monkeypatch.setenv("METASEG_WEBHOOK_SECRET", "s")
    with pytest.warns(ExportWarning, match="120 label"):
        export_labels(
            _labels(120),
            "http://127.0.0.1:9/hook",
            batch_size=50,
            max_attempts=1,
            state_dir=tmp_path,
            progress=progress,
        )
    err = capsys.readouterr().err
    if progress:
        assert "exporting to" in err and "0/120" in err
    else:
        assert "exporting to" not in err
