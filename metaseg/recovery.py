"""How well sub-segments recover a planted structure, per base segment.

Pure computation over label arrays: used by the discovery benchmark
(``experiments/bench_discovery.py``) and its fast subset in the tests, for metaseg and
for the pipelines it is compared with.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = ["RECOVERY_COLUMNS", "recovery_table"]

RECOVERY_COLUMNS = (
    "base_segment",
    "n_customers",
    "k_true",
    "k_found",
    "ari",
    "split_right",
    "k_right",
)


def recovery_table(
    base: npt.ArrayLike,
    found: npt.ArrayLike,
    planted: npt.ArrayLike,
    *,
    min_size: int = 200,
    min_share: float = 0.02,
) -> pd.DataFrame:
    """Compare found sub-segments with planted groups inside every base segment.

    Parameters
    ----------
    base : array-like of shape (n,)
        Base segment of each customer.
    found : array-like of int, shape (n,)
        Sub-segment found for each customer (-1, noise, counts as one more group).
    planted : array-like of shape (n,)
        The planted group of each customer.
    min_size : int, default 200
        Base segments with fewer customers are left out (metaseg does not split them).
    min_share : float, default 0.02
        A planted group counts towards ``k_true`` when it holds at least this share of
        the base segment (a few strays from another situation are not a group).

    Returns
    -------
    DataFrame
        One row per base segment: ``n_customers``; ``k_true`` and ``k_found`` (groups
        planted and found, noise excluded); ``ari`` (adjusted Rand index of the found
        sub-segments against the planted groups, 1.0 when both leave the segment whole);
        ``split_right`` (the split-or-not decision agrees with ``k_true > 1``) and
        ``k_right`` (``k_found == k_true``).

    Examples
    --------
    >>> table = recovery_table(["a"] * 4, [0, 0, 1, 1], ["x", "x", "y", "y"], min_size=2)
    >>> row = table.iloc[0]
    >>> int(row["k_true"]), int(row["k_found"]), float(row["ari"])
    (2, 2, 1.0)
    """
    from sklearn.metrics import adjusted_rand_score

    base = np.asarray(base).astype(str)
    found = np.asarray(found)
    planted = np.asarray(planted).astype(str)
    if not (base.shape == found.shape == planted.shape):
        raise ValueError(
            f"base, found and planted must have one value per customer; got lengths "
            f"{base.size}, {found.size} and {planted.size}."
        )
    records = []
    for name in np.unique(base):
        rows = base == name
        if rows.sum() < min_size:
            continue
        shares = pd.Series(planted[rows]).value_counts(normalize=True)
        found_here = found[rows]
        records.append(
            {
                "base_segment": name,
                "n_customers": int(rows.sum()),
                "k_true": int((shares >= min_share).sum()),
                "k_found": int(np.unique(found_here[found_here >= 0]).size),
                "ari": float(adjusted_rand_score(planted[rows], found_here)),
            }
        )
    table = pd.DataFrame.from_records(records, columns=list(RECOVERY_COLUMNS[:5]))
    table["split_right"] = (table["k_found"] > 1) == (table["k_true"] > 1)
    table["k_right"] = table["k_found"] == table["k_true"]
    return table
