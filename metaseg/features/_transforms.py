"""Column-level steps of the featurizer: drops by missing share and redundancy,
dequantisation of counts, and a robust scaler that never leaves a column in raw units.

Every function here is pure computation on arrays or DataFrames.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

#: The interquartile range of a standard normal variable: IQR / 1.349 estimates sigma.
NORMAL_IQR = 1.3489795003921634
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def mostly_missing(
    frame: pd.DataFrame, columns: Sequence[str], *, max_share: float
) -> dict[str, str]:
    """Return ``{column: reason}`` for numeric columns missing in more than ``max_share``.

    Examples
    --------
    >>> frame = pd.DataFrame({"a": [1.0, None, None], "b": [1.0, 2.0, None]})
    >>> mostly_missing(frame, ["a", "b"], max_share=0.5)
    {'a': 'mostly missing: 66.67% of rows (max_missing_share=0.5)'}
    """
    reasons = {}
    for name in columns:
        share = float(frame[name].isna().mean())
        if share > max_share:
            reasons[name] = f"mostly missing: {share:.2%} of rows (max_missing_share={max_share})"
    return reasons


def redundant_columns(
    frame: pd.DataFrame, columns: Sequence[str], *, threshold: float
) -> dict[str, str]:
    """Return ``{column: reason}`` for columns rank-correlated with an earlier kept one.

    Columns are visited in order; one whose absolute Spearman correlation (on the rows
    where both are known) with an already kept column reaches ``threshold`` is dropped.

    Examples
    --------
    >>> frame = pd.DataFrame({"a": [1, 2, 3, 4], "b": [2, 4, 6, 9], "c": [4, 1, 3, 2]})
    >>> redundant_columns(frame, ["a", "b", "c"], threshold=0.95)
    {'b': "redundant: Spearman correlation 1.00 with 'a' (max_correlation=0.95)"}
    """
    if len(columns) < 2:
        return {}
    corr = frame[list(columns)].rank().corr().abs()
    kept: list[str] = []
    reasons: dict[str, str] = {}
    for name in columns:
        partners = [(corr.loc[name, k], k) for k in kept if corr.loc[name, k] >= threshold]
        if partners:
            value, partner = max(partners)
            reasons[name] = (
                f"redundant: Spearman correlation {value:.2f} with {partner!r} "
                f"(max_correlation={threshold})"
            )
        else:
            kept.append(name)
    return reasons


def _splitmix64(values: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser: a fast, well-mixed 64-bit hash of each value."""
    with np.errstate(over="ignore"):
        z = values + _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def dequantize_offsets(ids: Sequence[object] | np.ndarray, column: str) -> np.ndarray:
    """A fixed offset in ``[0, 1)`` for every id, different for every column.

    The offset depends only on the id's text and the column name, so a customer gets
    the same offset at fit and at predict, whatever the row order or the batch.

    Examples
    --------
    >>> a = dequantize_offsets(["c1", "c2"], "frequency")
    >>> b = dequantize_offsets(["c2", "c1"], "frequency")
    >>> bool(a[0] == b[1]) and bool(((a >= 0) & (a < 1)).all())
    True
    """
    return offsets_from_hashes(id_hashes(ids), column)


def id_hashes(ids: Sequence[object] | np.ndarray) -> np.ndarray:
    """A 64-bit hash of each id's text (``1`` and ``"1"`` hash alike)."""
    text = pd.Series(np.asarray(ids, dtype=object)).astype(str).to_numpy(dtype=object)
    return pd.util.hash_array(text, categorize=False)


def offsets_from_hashes(hashes: np.ndarray, column: str) -> np.ndarray:
    """The offsets of :func:`dequantize_offsets` from ids already hashed by :func:`id_hashes`."""
    salt = pd.util.hash_array(np.array([column], dtype=object), categorize=False)[0]
    mixed = _splitmix64(hashes ^ salt)
    return (mixed >> np.uint64(11)).astype(np.float64) * 2.0**-53


def integer_valued(values: pd.Series) -> bool:
    """Whether every known value of a numeric column is a whole number (NaN ignored)."""
    known = values.to_numpy(dtype=np.float64)
    known = known[~np.isnan(known)]
    return bool(known.size) and bool(np.all(known == np.round(known)))


class RobustUnitScaler(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Centre on the median and divide by IQR / 1.349; never leave a column unscaled.

    scikit-learn's ``RobustScaler`` leaves a column whose IQR is 0 (a column mostly at
    one value, such as an imputed one) in raw units, where it outweighs every other
    column. This scaler falls back to the standard deviation for such a column, and to 1
    only for a constant one, so every non-constant column ends on a comparable scale.

    Attributes
    ----------
    center_ : ndarray of shape (n_features,)
    scale_ : ndarray of shape (n_features,)
    n_features_in_ : int

    Examples
    --------
    >>> X = np.array([[0.0], [0.0], [0.0], [0.0], [100.0]])
    >>> RobustUnitScaler().fit(X).scale_.round(1).tolist()
    [40.0]
    """

    def fit(self, X: np.ndarray, y: object = None) -> RobustUnitScaler:
        """Learn the medians and scales of ``X``'s columns."""
        X = validate_data(self, X, dtype=np.float64, reset=True)
        q25, median, q75 = np.percentile(X, [25, 50, 75], axis=0)
        scale = (q75 - q25) / NORMAL_IQR
        spread = X.std(axis=0)
        scale = np.where(scale > 0, scale, spread)
        self.center_ = median
        self.scale_ = np.where(scale > 0, scale, 1.0)
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Return ``(X - center_) / scale_``."""
        check_is_fitted(self, "scale_")
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return (X - self.center_) / self.scale_
