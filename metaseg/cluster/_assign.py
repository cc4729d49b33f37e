"""Row-by-row nearest-point assignment that never depends on how rows are batched.

Distances are accumulated one feature at a time with element-wise operations only
(no matrix products, whose rounding can change with the shape of the batch), so a
row gets bit-identical distances, and therefore the same label, whether it is scored
alone, with the training set or in chunks. That is what lets ``predict`` reproduce
``labels_`` exactly.
"""

from __future__ import annotations

import numpy as np

_CHUNK_CELLS = 1 << 22  # about 32 MiB of float64 per working block


def nearest_reference(X: np.ndarray, references: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return, for each row of ``X``, the index of and squared distance to the nearest reference.

    Ties go to the reference with the smallest index.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Rows to assign.
    references : ndarray of shape (n_references, n_features)
        Candidate points (cluster centres or exemplars).

    Returns
    -------
    index : ndarray of int64, shape (n_samples,)
    sq_distance : ndarray of float64, shape (n_samples,)

    Examples
    --------
    >>> idx, d2 = nearest_reference(np.array([[0.0, 0.0], [9.0, 9.0]]),
    ...                             np.array([[10.0, 10.0], [1.0, 0.0]]))
    >>> idx.tolist(), d2.tolist()
    ([1, 0], [1.0, 2.0])
    """
    X = np.asarray(X, dtype=np.float64)
    refs = np.asarray(references, dtype=np.float64)
    n, n_ref = X.shape[0], refs.shape[0]
    index = np.zeros(n, dtype=np.int64)
    best = np.full(n, np.inf)
    rows_per_chunk = max(1, _CHUNK_CELLS // max(1, n_ref))
    for start in range(0, n, rows_per_chunk):
        stop = min(n, start + rows_per_chunk)
        cols = np.ascontiguousarray(X[start:stop].T)  # (n_features, chunk)
        d2 = np.zeros((n_ref, stop - start))
        for f in range(cols.shape[0]):
            diff = cols[f][None, :] - refs[:, f][:, None]
            d2 += diff * diff
        # argmin returns the first minimum: ties go to the smallest reference index.
        arg = d2.argmin(axis=0)
        index[start:stop] = arg
        best[start:stop] = d2[arg, np.arange(stop - start)]
    return index, best


def squared_distances(X: np.ndarray, references: np.ndarray) -> np.ndarray:
    """Squared distances of every row of ``X`` to every reference, shape (n, n_references).

    Accumulated feature by feature exactly as :func:`nearest_reference` does, so the
    smallest entry of a row is the distance that function reports for it.

    Examples
    --------
    >>> squared_distances(np.array([[0.0, 0.0]]), np.array([[3.0, 4.0], [1.0, 0.0]])).tolist()
    [[25.0, 1.0]]
    """
    X = np.asarray(X, dtype=np.float64)
    refs = np.asarray(references, dtype=np.float64)
    out = np.zeros((X.shape[0], refs.shape[0]))
    cols = np.ascontiguousarray(X.T)
    for f in range(cols.shape[0]):
        diff = cols[f][None, :] - refs[:, f][:, None]
        out += (diff * diff).T
    return out
