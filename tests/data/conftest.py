"""Small standard-looking tables for the data-layer tests."""

from __future__ import annotations

import pandas as pd
import pytest


@pytest.fixture
def events_frame() -> pd.DataFrame:
    """Five valid events in standard column names, typed the way a CSV reader leaves them."""
    return pd.DataFrame(
        {
            "customer_id": [12346.0, 12346.0, 12347.0, 12348.0, 12348.0],
            "timestamp": [
                "2011-01-03 09:00",
                "2011-01-04 10:30",
                "2011-02-01 12:00",
                "2011-03-01 08:15",
                "2011-03-02 17:45",
            ],
            "event_type": ["purchase", "refund", "purchase", "view", "purchase"],
            "amount": [20.0, 5.0, 13.5, None, 7.25],
        }
    )
