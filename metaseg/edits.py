"""Edits of one base segment's sub-segments after the fit: merge, split, reassign noise.

A split base segment labels a customer in two stages: its clusterer's label mapped to a
canonical id (``FittedSegment.relabel``), then the segment's edits, in the order they
were made. Each edit is a small step that rewrites ids (:meth:`labels`) and the matching
columns of soft membership (:meth:`proba`), so ``predict``, ``predict_proba`` and
``transform`` honour every edit at once and a pickled model replays them. Ids never
change meaning: merged ids disappear, a split keeps its id for the largest piece and gives
the others new ids never used before.

:func:`assign` and :func:`membership` run the two stages; the model decides when to add a
step (:class:`metaseg.model.MetaSegmenter`'s ``merge``, ``split``, ``reassign_noise``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from metaseg.schema import NOISE

__all__ = [
    "NOISE_STRATEGIES",
    "Merge",
    "ReassignNoise",
    "Renumber",
    "Split",
    "assign",
    "membership",
]

#: How :class:`ReassignNoise` places a noise customer.
NOISE_STRATEGIES: tuple[str, ...] = ("nearest", "probable")

Membership = tuple[list[int], np.ndarray]


@dataclass(frozen=True)
class Merge:
    """Sub-segments ``ids`` join ``into`` (which keeps its id).

    Examples
    --------
    >>> Merge(ids=(3,), into=1).labels(None, np.array([0, 1, 3, -1]), None).tolist()
    [0, 1, 1, -1]
    """

    ids: tuple[int, ...]
    into: int

    def labels(self, X: Any, sub: np.ndarray, before: Any) -> np.ndarray:
        """Ids after the merge."""
        out = sub.copy()
        out[np.isin(sub, self.ids)] = self.into
        return out

    def proba(self, ids: list[int], P: np.ndarray, X: Any) -> Membership:
        """Membership of ``into`` is the sum of the merged columns."""
        keep = [i for i, sid in enumerate(ids) if sid not in self.ids]
        P = P.copy()
        target = ids.index(self.into)
        for i, sid in enumerate(ids):
            if sid in self.ids:
                P[:, target] += P[:, i]
        return [ids[i] for i in keep], P[:, keep]


@dataclass
class Split:
    """Sub-segment ``id`` is cut by a clusterer fitted on its own customers.

    ``relabel`` maps the clusterer's labels to ids: the largest piece keeps ``id``.
    """

    id: int
    clusterer: Any
    relabel: dict[int, int] = field(default_factory=dict)

    def labels(self, X: np.ndarray, sub: np.ndarray, before: Any) -> np.ndarray:
        """Ids after the split (only the customers of ``id`` move)."""
        out = sub.copy()
        rows = np.flatnonzero(sub == self.id)
        if rows.size:
            raw = np.asarray(self.clusterer.predict(X[rows]), dtype=np.int64)
            out[rows] = _mapped(raw, self.relabel)
        return out

    def proba(self, ids: list[int], P: np.ndarray, X: np.ndarray) -> Membership:
        """Membership of a piece: that of ``id`` times the clusterer's own membership."""
        if self.id not in ids:
            return ids, P
        at = ids.index(self.id)
        inner = np.asarray(self.clusterer.predict_proba(X), dtype=np.float64)
        keep = [i for i in range(len(ids)) if i != at]
        pieces = P[:, [at]] * inner
        new_ids = [ids[i] for i in keep] + [self.relabel[j] for j in range(inner.shape[1])]
        return new_ids, np.hstack([P[:, keep], pieces])


@dataclass
class ReassignNoise:
    """Noise customers (-1) join a sub-segment.

    ``"nearest"``: the sub-segment whose centre (``centre_ids``, ``centres``: the mean
    of its training customers' features) is nearest. ``"probable"``: the sub-segment of
    largest soft membership (HDBSCAN's membership vector, a mixture's posterior).
    """

    strategy: str
    centre_ids: tuple[int, ...] = ()
    centres: np.ndarray | None = None

    def labels(
        self, X: np.ndarray, sub: np.ndarray, before: Callable[[np.ndarray], Membership]
    ) -> np.ndarray:
        """Ids after the reassignment (only noise customers move)."""
        from metaseg.cluster._assign import nearest_reference

        out = sub.copy()
        rows = np.flatnonzero(sub == NOISE)
        if rows.size == 0:
            return out
        if self.strategy == "nearest":
            index, _ = nearest_reference(X[rows], self.centres)
            out[rows] = np.asarray(self.centre_ids, dtype=np.int64)[index]
        else:
            ids, P = before(X[rows])
            out[rows] = np.asarray(ids, dtype=np.int64)[P.argmax(axis=1)]
        return out

    def proba(self, ids: list[int], P: np.ndarray, X: Any) -> Membership:
        """Soft membership does not change (noise is not one of its columns)."""
        return ids, P


@dataclass(frozen=True)
class Renumber:
    """Ids take new numbers (stable identities matched after edits).

    Examples
    --------
    >>> Renumber({0: 4}).labels(None, np.array([0, 1]), None).tolist()
    [4, 1]
    """

    mapping: dict[int, int]

    def labels(self, X: Any, sub: np.ndarray, before: Any) -> np.ndarray:
        """Ids after renumbering."""
        out = sub.copy()
        for old, new in self.mapping.items():
            out[sub == old] = new
        return out

    def proba(self, ids: list[int], P: np.ndarray, X: Any) -> Membership:
        """Columns renamed."""
        return [self.mapping.get(i, i) for i in ids], P


Step = Merge | Split | ReassignNoise | Renumber


def _raw_labels(clusterer: Any, X: np.ndarray) -> np.ndarray:
    if clusterer is None:
        return np.zeros(X.shape[0], dtype=np.int64)
    return np.asarray(clusterer.predict(X), dtype=np.int64)


def _mapped(raw: np.ndarray, relabel: dict[int, int]) -> np.ndarray:
    out = raw.copy()
    for old, new in relabel.items():
        out[raw == old] = new
    return out


def assign(
    clusterer: Any, relabel: dict[int, int], steps: Sequence[Step], X: np.ndarray
) -> np.ndarray:
    """Sub-segment ids of the rows of ``X``: the clusterer's labels, relabelled, then ``steps``.

    A base segment left whole (``clusterer`` None) starts with every row at its id 0.

    Examples
    --------
    >>> assign(None, {}, [], np.zeros((2, 1))).tolist()
    [0, 0]
    """
    sub = _mapped(_raw_labels(clusterer, X), relabel)
    for i, step in enumerate(steps):
        sub = step.labels(X, sub, _before(clusterer, relabel, steps[:i]))
    return sub


def membership(
    clusterer: Any, relabel: dict[int, int], steps: Sequence[Step], X: np.ndarray
) -> Membership:
    """Ids and soft membership (rows sum to 1) of the rows of ``X``, edits included.

    Examples
    --------
    >>> ids, P = membership(None, {0: 2}, [], np.zeros((2, 1)))
    >>> ids, P.tolist()
    ([2], [[1.0], [1.0]])
    """
    if clusterer is None:
        ids, P = [relabel.get(0, 0)], np.ones((X.shape[0], 1), dtype=np.float64)
    else:
        P = np.asarray(clusterer.predict_proba(X), dtype=np.float64)
        fresh = max([*relabel.values(), P.shape[1] - 1]) + 1
        ids = [relabel.get(j, fresh + j) for j in range(P.shape[1])]
    for step in steps:
        ids, P = step.proba(ids, P, X)
    return ids, P


def _before(
    clusterer: Any, relabel: dict[int, int], steps: Sequence[Step]
) -> Callable[[np.ndarray], Membership]:
    return lambda X: membership(clusterer, relabel, steps, X)
