"""The CDNOW calibration summary shared by the CLV tests."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest


@pytest.fixture(scope="session")
def cdnow_events(shared_data: Path) -> pd.DataFrame:
    from metaseg.datasets.cdnow import load_cdnow

    return load_cdnow(shared_data / "cdnow_sample")


@pytest.fixture(scope="session")
def cdnow_summary(cdnow_events: pd.DataFrame) -> pd.DataFrame:
    from metaseg.datasets.cdnow import CALIBRATION_END
    from metaseg.facts.clv_summary import compute_repeat_summary

    return compute_repeat_summary(cdnow_events, as_of=CALIBRATION_END, time_unit_days=7)
