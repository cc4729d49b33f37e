"""Parameter and input checks shared by the clusterers.

Every check raises :class:`~metaseg.exceptions.ConfigError` (bad parameter) or
:class:`~metaseg.exceptions.DataError` (bad matrix) with a message that names the
parameter or column, shows the value and says how to fix it.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from metaseg._messages import did_you_mean, preview
from metaseg.exceptions import ConfigError, DataError


def check_int(owner: str, name: str, value: Any, *, minimum: int, hint: str) -> int:
    """Return ``value`` as an int, refusing bools, non-integers and values below ``minimum``.

    Examples
    --------
    >>> check_int("AutoKMeans", "k_min", 3, minimum=2, hint="Use 2 or more.")
    3
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ConfigError(
            f"{owner}: {name} must be an integer >= {minimum}, got {value!r} "
            f"({type(value).__name__}). {hint}"
        )
    if value < minimum:
        raise ConfigError(f"{owner}: {name} must be >= {minimum}, got {value!r}. {hint}")
    return int(value)


def check_choice(owner: str, name: str, value: Any, choices: Sequence[Any]) -> Any:
    """Return ``value`` if it is one of ``choices``, else raise a ConfigError listing them.

    Examples
    --------
    >>> check_choice("AutoKMeans", "criterion", "silhouette", ("silhouette", "davies_bouldin"))
    'silhouette'
    """
    if any(value is c or (isinstance(value, str) and value == c) for c in choices):
        return value
    hint = (
        did_you_mean(value, [c for c in choices if isinstance(c, str)])
        if isinstance(value, str)
        else ""
    )
    raise ConfigError(
        f"{owner}: unknown {name} {value!r}; choose one of {preview(list(choices))}.{hint}"
    )


def check_real(
    owner: str,
    name: str,
    value: Any,
    *,
    low: float,
    high: float,
    low_open: bool = False,
    high_open: bool = False,
    hint: str,
) -> float:
    """Return ``value`` as a float inside the interval, else raise a ConfigError.

    Examples
    --------
    >>> check_real("DensityClusterer", "noise_threshold", 0.2, low=0, high=1, hint="")
    0.2
    """
    ok_type = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if ok_type and np.isfinite(value):
        above = value > low if low_open else value >= low
        below = value < high if high_open else value <= high
        if above and below:
            return float(value)
    interval = f"{'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
    raise ConfigError(f"{owner}: {name} must be a number in {interval}, got {value!r}. {hint}")


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
