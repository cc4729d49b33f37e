"""Labels as JSON records and batches with stable bytes.

A batch's body is canonical JSON (sorted keys, no spaces, UTF-8), built from labels
sorted by ``(model_name, customer_id)``, so the same labels always give the same bytes,
the same signature and the same idempotency key.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd

from metaseg.export.validate import TIMESTAMP_COLUMNS, key_strings
from metaseg.schema import LABEL_COLUMNS


def _plain(value: Any) -> Any:
    """A JSON-ready Python value: numpy scalars unwrapped, nulls as None."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def iso_strings(values: pd.Series) -> np.ndarray:
    """ISO 8601 text of a timestamp column (``None`` for nulls); each distinct value once.

    Examples
    --------
    >>> iso_strings(pd.Series(pd.to_datetime(["2024-01-01", None], utc=True))).tolist()
    ['2024-01-01T00:00:00+00:00', None]
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    texts = [t.isoformat() if hasattr(t, "isoformat") else str(t) for t in uniques]
    return np.array([*texts, None], dtype=object)[codes]


def label_records(labels: pd.DataFrame) -> list[dict[str, Any]]:
    """Turn a validated labels table into JSON-ready dicts, sorted by model and customer.

    Timestamps become ISO 8601 text in UTC; nulls become ``None``.

    Examples
    --------
    >>> frame = pd.DataFrame({"customer_id": [2, 1], "model_name": ["m", "m"],
    ...                       "as_of": pd.to_datetime(["2024-01-01", None], utc=True)})
    >>> [r["customer_id"] for r in label_records(frame)]
    [1, 2]
    >>> label_records(frame)[1]["as_of"]
    '2024-01-01T00:00:00+00:00'
    """
    order = np.argsort(key_strings(labels).to_numpy(dtype=object), kind="stable")
    frame = labels.iloc[order]
    columns = [c for c in LABEL_COLUMNS if c in frame.columns]
    values: dict[str, list[Any]] = {}
    for column in columns:
        series = frame[column]
        if column in TIMESTAMP_COLUMNS and isinstance(series.dtype, pd.DatetimeTZDtype):
            values[column] = iso_strings(series).tolist()
        else:
            values[column] = [_plain(v) for v in series.tolist()]
    return [dict(zip(columns, row, strict=True)) for row in zip(*values.values(), strict=True)]


def encode_batch(records: list[dict[str, Any]]) -> bytes:
    """Return the canonical JSON body ``{"records": [...]}`` for a batch.

    Examples
    --------
    >>> encode_batch([{"segment": "dormant/0", "customer_id": 1}])
    b'{"records":[{"customer_id":1,"segment":"dormant/0"}]}'
    """
    return json.dumps(
        {"records": records},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    ).encode("utf-8")


def batches(records: list[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    """Yield consecutive slices of ``records`` holding at most ``size`` records.

    Examples
    --------
    >>> [len(b) for b in batches([{}] * 5, 2)]
    [2, 2, 1]
    """
    for start in range(0, len(records), size):
        yield records[start : start + size]


def records_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    """Turn JSON records back into a labels-shaped DataFrame (timestamps stay text)."""
    return pd.DataFrame.from_records(records, columns=list(LABEL_COLUMNS))
