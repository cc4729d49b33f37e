"""Input checks shared by the clusterers (the parameter checks are in :mod:`metaseg._params`).

A bad matrix raises :class:`~metaseg.exceptions.DataError` with a message that names the
column, shows the value and says how to fix it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from metaseg._messages import preview
from metaseg.exceptions import DataError


def _feature_labels(X: Any, n_features: int) -> list[str]:
    if isinstance(X, pd.DataFrame):
        return [str(c) for c in X.columns]
    return [f"column {j}" for j in range(n_features)]


def _refuse_non_numeric_frame(owner: str, X: pd.DataFrame) -> None:
    bad = [
        f"{c!s} ({X[c].dtype})"
        for c in X.columns
        if not (pd.api.types.is_numeric_dtype(X[c]) or pd.api.types.is_bool_dtype(X[c]))
    ]
    if bad:
        raise DataError(
            f"{owner}: X must be numeric, but columns {preview(bad)} are not. Encode or drop "
            "them in the feature pipeline (metaseg.features) before clustering."
        )


def validate_matrix(estimator: Any, X: Any, *, reset: bool) -> np.ndarray:
    """Validate ``X`` for ``estimator`` and return it as a finite float64 array.

    Wraps scikit-learn's ``validate_data`` (which records ``n_features_in_`` and
    ``feature_names_in_`` when ``reset`` is true and checks them otherwise), then
    refuses non-numeric DataFrame columns and non-finite values with messages that
    name the offending columns.

    Examples
    --------
    >>> from metaseg.cluster import AutoKMeans
    >>> validate_matrix(AutoKMeans(), [[1, 2], [3, 4]], reset=True).dtype
    dtype('float64')
    """
    from sklearn.utils.validation import validate_data

    owner = type(estimator).__name__
    if isinstance(X, pd.DataFrame):
        _refuse_non_numeric_frame(owner, X)
    arr = validate_data(
        estimator, X, reset=reset, dtype=np.float64, ensure_all_finite=False, order="C"
    )
    if not arr.flags.writeable:
        # hdbscan's compiled routines refuse read-only buffers (e.g. memory maps).
        arr = arr.copy()
    finite = np.isfinite(arr)
    if not finite.all():
        bad_rows = ~finite.all(axis=1)
        names = _feature_labels(X, arr.shape[1])
        bad_cols = [names[j] for j in np.flatnonzero(~finite.all(axis=0))]
        rows = np.flatnonzero(bad_rows)
        raise DataError(
            f"{owner}: X contains NaN or infinite values in {rows.size} of {arr.shape[0]} rows "
            f"(columns {preview(bad_cols)}; row positions {preview(rows.tolist())}). "
            "Impute or drop them in the feature pipeline before clustering."
        )
    return arr
