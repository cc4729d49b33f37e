"""Find rows of a matrix that are identical to rows seen at fit time.

A UMAP embedding of new rows depends on the other rows transformed with them, so a
training customer scored later (alone, in chunks, or mixed with new customers) could
land somewhere else than in the embedding HDBSCAN was fitted on. The density
clusterer therefore looks training rows up and reuses their fitted embedding.

Rows are keyed by two independent 64-bit hashes (a 128-bit key), so no copy of the
training matrix is kept; the index costs 24 bytes per training row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

_KEY_A = "metaseg-rows-001"
_KEY_B = "metaseg-rows-002"


def _row_hashes(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # Adding 0.0 turns -0.0 into 0.0, so rows that compare equal hash equal.
    frame = pd.DataFrame(np.asarray(X, dtype=np.float64) + 0.0, copy=False)
    a = pd.util.hash_pandas_object(frame, index=False, hash_key=_KEY_A).to_numpy()
    b = pd.util.hash_pandas_object(frame, index=False, hash_key=_KEY_B).to_numpy()
    return a.astype(np.uint64), b.astype(np.uint64)


class RowIndex:
    """Position of the first identical training row for each queried row.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The training rows.

    Examples
    --------
    >>> index = RowIndex(np.array([[1.0, 2.0], [3.0, 4.0], [1.0, 2.0]]))
    >>> index.lookup(np.array([[1.0, 2.0], [5.0, 6.0], [3.0, 4.0]])).tolist()
    [0, -1, 1]
    """

    def __init__(self, X: np.ndarray) -> None:
        a, b = _row_hashes(X)
        # lexsort is stable: among identical rows the smallest position comes first.
        order = np.lexsort((b, a))
        self._a = a[order]
        self._b = b[order]
        self._pos = order.astype(np.int64)

    def __len__(self) -> int:
        return int(self._pos.size)

    def lookup(self, X: np.ndarray) -> np.ndarray:
        """Return the training position of each row of ``X``, or -1 for a row not seen."""
        qa, qb = _row_hashes(X)
        found = np.full(qa.shape[0], -1, dtype=np.int64)
        if not len(self) or not qa.size:
            return found
        lo = np.searchsorted(self._a, qa, side="left")
        hi = np.searchsorted(self._a, qa, side="right")
        in_range = hi > lo
        first = np.minimum(lo, len(self) - 1)
        direct = in_range & (self._b[first] == qb)
        found[direct] = self._pos[first[direct]]
        # Two different rows sharing the first hash: search the run on the second one.
        for i in np.flatnonzero(in_range & ~direct):
            run = self._b[lo[i] : hi[i]]
            j = np.searchsorted(run, qb[i], side="left")
            if j < run.size and run[j] == qb[i]:
                found[i] = self._pos[lo[i] + j]
        return found
