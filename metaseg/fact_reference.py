"""What the facts looked like when a model was fitted, and how far they moved since (PSI).

:func:`build_reference` is called by :meth:`metaseg.model.MetaSegmenter.fit`: it keeps,
for every fact the model reads, a reference histogram over everybody and per base
segment (``model.drift_reference_``), so a drift report needs no training data later
(:mod:`metaseg.over_time.drift`). A fact's reference histogram is:

* numeric facts: bins cut at the reference deciles (``n_bins`` quantiles, repeated
  cut points merged), the outer bins open-ended so that new extremes are counted;
* boolean, text and categorical facts: one bin per value seen in the reference (the
  ``max_categories`` most frequent; the rest share an ``other`` bin), plus an
  ``unseen`` bin for values that appear only later;
* every histogram has a ``missing`` bin, so a fact that becomes missing more often
  drifts too.

``PSI = sum((now - ref) * ln(now / ref))`` over the bins, with proportions floored at
:data:`EPSILON` so an empty bin does not make it infinite. Usual reading: < 0.1 stable,
0.1-0.25 moderate shift, > 0.25 major shift. Timestamps are not compared (they move
with time by construction); the duration facts derived from them are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from metaseg.exceptions import ConfigError

#: Floor of a bin's proportion in the PSI formula.
EPSILON = 1e-4
#: Name of the population holding every customer in the PSI table.
EVERYONE = "(all)"


@dataclass(frozen=True)
class FactHistogram:
    """Reference distribution of one fact.

    Attributes
    ----------
    kind : {"numeric", "categorical"}
    edges : ndarray
        Inner cut points (numeric facts); bins are ``(-inf, e0], (e0, e1], ..., (ek, inf)``.
    categories : tuple of str
        Values with their own bin (categorical facts).
    proportions : ndarray
        Share of reference customers per bin: the value bins, then (categorical)
        ``other`` and ``unseen``, then ``missing``.
    n : int
        Reference customers.
    """

    kind: str
    edges: np.ndarray
    categories: tuple[str, ...]
    proportions: np.ndarray
    n: int

    def counts(self, values: pd.Series) -> np.ndarray:
        """Customers of ``values`` per bin of this histogram."""
        missing = values.isna().to_numpy()
        if self.kind == "numeric":
            x = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
            missing = missing | ~np.isfinite(x)
            idx = np.searchsorted(self.edges, x[~missing], side="left")
            n_value_bins = len(self.edges) + 1
        else:
            text = values[~missing].astype(str).to_numpy()
            lookup = {c: i for i, c in enumerate(self.categories)}
            other = self._other_index()
            unseen = len(self.categories) + 1
            idx = np.fromiter(
                (
                    lookup.get(t, other if other is not None and t in self._rest else unseen)
                    for t in text
                ),
                dtype=np.int64,
                count=len(text),
            )
            n_value_bins = len(self.categories) + 2
        out = np.bincount(idx, minlength=n_value_bins).astype(np.float64)
        return np.append(out, float(missing.sum()))

    _rest: frozenset[str] = field(default=frozenset(), repr=False)

    def _other_index(self) -> int | None:
        return len(self.categories) if self._rest else None


def fact_histogram(
    values: pd.Series, *, n_bins: int = 10, max_categories: int = 20
) -> FactHistogram:
    """Learn the reference histogram of one fact.

    Examples
    --------
    >>> h = fact_histogram(pd.Series([1.0, 2.0, 3.0, 4.0, None]), n_bins=2)
    >>> h.edges.tolist(), h.proportions.tolist()
    ([2.5], [0.4, 0.4, 0.2])
    """
    n = len(values)
    if _is_numeric(values):
        x = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        finite = x[np.isfinite(x)]
        qs = np.linspace(0.0, 1.0, n_bins + 1)[1:-1]
        edges = np.unique(np.quantile(finite, qs)) if finite.size else np.array([])
        hist = FactHistogram("numeric", edges, (), np.array([]), n)
    else:
        text = values.dropna().astype(str)
        freq = text.value_counts(sort=True)
        keep = tuple(str(v) for v in freq.index[:max_categories])
        rest = frozenset(str(v) for v in freq.index[max_categories:])
        hist = FactHistogram("categorical", np.array([]), keep, np.array([]), n, rest)
    counts = hist.counts(values)
    proportions = counts / max(n, 1)
    return FactHistogram(hist.kind, hist.edges, hist.categories, proportions, n, hist._rest)


def psi(reference: FactHistogram, values: pd.Series) -> float:
    """Population stability index of ``values`` against a reference histogram.

    Examples
    --------
    >>> ref = fact_histogram(pd.Series(np.arange(1000.0)))
    >>> psi(ref, pd.Series(np.arange(1000.0)))
    0.0
    >>> psi(ref, pd.Series(np.arange(500.0, 1500.0))) > 0.25
    True
    """
    if len(values) == 0 or reference.n == 0:
        return float("nan")
    now = np.maximum(reference.counts(values) / len(values), EPSILON)
    ref = np.maximum(reference.proportions, EPSILON)
    return float(np.sum((now - ref) * np.log(now / ref)))


def is_timestamp(values: pd.Series) -> bool:
    """Whether a fact holds timestamps (not compared by PSI)."""
    return pd.api.types.is_datetime64_any_dtype(values)


def _is_numeric(values: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)


@dataclass(frozen=True)
class FactReference:
    """Reference histograms of the facts a model reads, over everybody and per base segment.

    Attributes
    ----------
    histograms : dict of (fact, population) to FactHistogram
    skipped : dict of str to str
        Facts not compared, with the reason.
    """

    histograms: dict[tuple[str, str], FactHistogram]
    skipped: dict[str, str] = field(default_factory=dict)


def build_reference(
    facts: pd.DataFrame, columns: list[str], base_segments: Any, *, n_bins: int = 10
) -> FactReference:
    """Learn the reference histograms of ``columns`` over everybody and per base segment.

    Parameters
    ----------
    facts : DataFrame
        The reference customers (usually the facts a model was fitted on).
    columns : list of str
        Facts to describe (``model.feature_columns_`` without ``customer_id``).
    base_segments : array-like
        Base segment of each row of ``facts``.
    n_bins : int, default 10
        Quantile bins per numeric fact.

    Examples
    --------
    >>> facts = pd.DataFrame({"frequency": [1.0, 2.0, 3.0, 4.0]})
    >>> ref = build_reference(facts, ["frequency"], ["a", "a", "b", "b"], n_bins=2)
    >>> sorted(ref.histograms)
    [('frequency', '(all)'), ('frequency', 'a'), ('frequency', 'b')]
    """
    if not isinstance(n_bins, int) or isinstance(n_bins, bool) or n_bins < 2:
        raise ConfigError(f"n_bins must be an integer >= 2, got {n_bins!r}.")
    base = np.asarray(base_segments, dtype=object).astype(str)
    # the rows of each base segment, found once (in order of first appearance), not once
    # per fact: at 10M customers each comparison of the names is a second
    codes, names = pd.factorize(base)
    order = np.argsort(codes, kind="stable")
    bounds = np.cumsum(np.bincount(codes, minlength=len(names)))
    rows_of = dict(zip(names, np.split(order, bounds[:-1]), strict=True))
    histograms: dict[tuple[str, str], FactHistogram] = {}
    skipped: dict[str, str] = {}
    for column in columns:
        values = facts[column]
        if is_timestamp(values):
            skipped[column] = "timestamp (moves with time); its duration facts are compared"
            continue
        histograms[(column, EVERYONE)] = fact_histogram(values, n_bins=n_bins)
        for name, rows in rows_of.items():
            part = values.iloc[rows]
            histograms[(column, str(name))] = fact_histogram(part, n_bins=n_bins)
    return FactReference(histograms, skipped)
