"""The CDNOW 1/10 sample (Fader, Hardie & Lee 2005) as standard events.

The file is the standard sample of the customers whose first purchase at CDNOW was in
Q1 1997 (2,357 customers, 1997-01-01 to 1998-06-30). The studies calibrate on the first
39 weeks (:data:`CALIBRATION_END`) and validate on the next 39 (to :data:`HOLDOUT_END`),
with time in weeks and repeat purchases counted as distinct purchase days.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import pandas as pd

from metaseg import schema
from metaseg.exceptions import DataError

#: Last day of the calibration period (as_of of the summary; its day is included).
CALIBRATION_END: Final = "1997-09-30"
#: Last day of the data (end of the 39-week holdout).
HOLDOUT_END: Final = "1998-06-30"
#: Published maximum-likelihood estimates on this sample (weeks): BG/NBD in Fader, Hardie
#: & Lee (2005, Marketing Science), Gamma-Gamma in Fader, Hardie & Lee (2005, JMR).
PUBLISHED: Final = {
    "bgnbd": {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426, "log_likelihood": -9582.4},
    "gamma_gamma": {"p": 6.25, "q": 3.74, "gamma": 15.44, "n_customers": 946},
}
_COLUMNS: Final = ("customer_id_sample", "date", "dollar_value", "number_of_cds")


def load_cdnow(path: str | Path) -> pd.DataFrame:
    """Read the CDNOW sample Parquet file as standard purchase events.

    Parameters
    ----------
    path : path
        ``cdnow_sample_2357.parquet`` or the folder holding it.

    Returns
    -------
    DataFrame
        ``customer_id`` (the sample id, 1..2357), ``timestamp`` (the day, 00:00 UTC),
        ``event_type`` (``purchase``), ``amount`` (USD) and ``quantity`` (CDs); one
        row per line of the file (a customer's purchases on one day stay separate rows).

    Examples
    --------
    The file is not part of the repository (it sits in ``../shared/data``), so the
    example is not run:

    >>> events = load_cdnow("../shared/data/cdnow_sample")  # doctest: +SKIP
    """
    source = Path(path)
    if source.is_dir():
        source = source / "cdnow_sample_2357.parquet"
    if not source.is_file():
        raise DataError(f"CDNOW sample not found at {str(source)!r}; pass the Parquet file.")
    raw = pd.read_parquet(source)
    missing = [c for c in _COLUMNS if c not in raw.columns]
    if missing:
        raise DataError(
            f"{source}: not the CDNOW sample, column {missing[0]!r} is missing "
            f"(columns: {list(raw.columns)})."
        )
    return pd.DataFrame(
        {
            schema.CUSTOMER_ID: raw["customer_id_sample"].astype("int64"),
            schema.TIMESTAMP: pd.to_datetime(raw["date"]).dt.tz_localize("UTC"),
            schema.EVENT_TYPE: schema.PURCHASE,
            schema.AMOUNT: raw["dollar_value"].astype("float64"),
            schema.QUANTITY: raw["number_of_cds"].astype("float64"),
        }
    )
