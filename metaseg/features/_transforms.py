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
    values = np.asarray(ids)
    if values.dtype.kind in "iu":  # Arrow writes integers' text several times faster
        import pyarrow as pa

        text = pa.array(values).cast(pa.string()).to_numpy(zero_copy_only=False)
    else:
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


class CompositionTransformer(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Shares that sum to 1 (a composition) → coordinates where Euclidean distance suits them.

    ``method="hellinger"`` (the default) takes the square root of each share: the
    Euclidean distance between two rows is then sqrt(2) times the Hellinger distance of
    their compositions, defined with zeros and bounded. ``method="clr"`` gives the
    centred log-ratio (Aitchison geometry); zeros are first replaced by ``pseudocount``
    and the other shares shrunk so the row still sums to 1 (multiplicative replacement).
    Both treat the columns alike, so reordering them only reorders the output.

    A row with a missing share (a customer without any basis event) is given the mean
    composition of the fit rows: it sits at the segment's centre rather than in a
    group. Each row is renormalised to sum 1 before the transform; negative values
    (rounding) are set to 0.

    Parameters
    ----------
    method : {"hellinger", "clr"}
    pseudocount : float
        The share a zero gets before the log ratio (``clr`` only).

    Attributes
    ----------
    mean_ : ndarray of shape (n_features,)
        The mean composition of the complete fit rows (uniform when there are none).
    n_features_in_ : int

    Examples
    --------
    >>> X = np.array([[1.0, 0.0], [0.25, 0.75], [np.nan, np.nan]])
    >>> CompositionTransformer().fit_transform(X).round(3).tolist()
    [[1.0, 0.0], [0.5, 0.866], [0.791, 0.612]]
    """

    def __init__(self, *, method: str = "hellinger", pseudocount: float = 1e-3):
        self.method = method
        self.pseudocount = pseudocount

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags

    def fit(self, X: np.ndarray, y: object = None) -> CompositionTransformer:
        """Learn the mean composition of the complete rows of ``X``."""
        if self.method not in ("hellinger", "clr"):
            raise ValueError(f"method must be 'hellinger' or 'clr', got {self.method!r}.")
        if not 0 < self.pseudocount < 0.5:
            raise ValueError(f"pseudocount must be in (0, 0.5), got {self.pseudocount!r}.")
        X = validate_data(self, X, dtype=np.float64, reset=True, ensure_all_finite="allow-nan")
        rows = _closed(X)
        complete = rows[~np.isnan(rows).any(axis=1)]
        width = X.shape[1]
        self.mean_ = complete.mean(axis=0) if len(complete) else np.full(width, 1.0 / width)
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Return the Hellinger or centred log-ratio coordinates of the rows of ``X``."""
        check_is_fitted(self, "mean_")
        X = validate_data(self, X, dtype=np.float64, reset=False, ensure_all_finite="allow-nan")
        rows = _closed(X)
        rows[np.isnan(rows).any(axis=1)] = self.mean_
        if self.method == "hellinger":
            return np.sqrt(rows)
        zero = rows <= 0
        n_zero = zero.sum(axis=1, keepdims=True)
        replaced = np.where(zero, self.pseudocount, rows * (1.0 - n_zero * self.pseudocount))
        logs = np.log(replaced)
        return logs - logs.mean(axis=1, keepdims=True)


def _closed(X: np.ndarray) -> np.ndarray:
    """Rows clipped at 0 and divided by their sum; rows summing to 0 become NaN."""
    rows = np.clip(X, 0.0, None)
    total = rows.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, rows / total, np.nan)
