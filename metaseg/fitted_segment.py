"""What was learned for one base segment: its featurizer, clusterer, canonical numbering
and edits (:class:`FittedSegment`), and the mapping of clusterer labels to canonical numbers.

Registered models pickled before this module existed name the class
``metaseg.model.FittedSegment``; :mod:`metaseg.model` re-exports it so they still load.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd


@dataclass
class FittedSegment:
    """What was learned for one base segment, and the edits made to it since."""

    name: str
    n_customers: int
    algorithm: str
    features: list[str]
    featurizer: Any = None
    clusterer: Any = None
    relabel: dict[int, int] = field(default_factory=dict)
    reason: str | None = None
    selection: pd.DataFrame | None = None
    steps: list[Any] = field(default_factory=list)
    centre_ids: tuple[int, ...] = ()
    centres: np.ndarray | None = None

    @property
    def split(self) -> bool:
        """Whether the base segment was split by a clusterer (or by an edit)."""
        return self.clusterer is not None or bool(getattr(self, "steps", None))

    def matrix(self, facts: pd.DataFrame) -> np.ndarray:
        """The segment's feature matrix of ``facts`` (its featurizer, fitted at fit time)."""
        return self.featurizer.transform(facts).to_numpy(dtype=np.float64)

    def assign(self, facts: pd.DataFrame) -> np.ndarray:
        """Sub-segment numbers of the customers in ``facts`` (all of this base segment)."""
        if not self.split or len(facts) == 0:
            # one sub-segment; its id is 0 unless a stable identity renumbered it
            return np.full(len(facts), self.relabel.get(0, 0), dtype=np.int64)
        return self.assign_matrix(self.matrix(facts))

    def assign_matrix(self, X: np.ndarray) -> np.ndarray:
        """Sub-segment numbers of feature rows: clusterer, canonical numbers, then edits."""
        from metaseg.edits import assign

        if not self.split:
            return np.full(X.shape[0], self.relabel.get(0, 0), dtype=np.int64)
        return assign(self.clusterer, self.relabel, getattr(self, "steps", []), X)

    def for_scoring(self) -> FittedSegment:
        """A copy without the per-fit-row state of its clusterers (see
        :func:`metaseg.cluster._lean.scoring_copy`); the feature selection table stays."""
        import dataclasses

        from metaseg.cluster._lean import scoring_copy

        steps = [
            dataclasses.replace(step, clusterer=scoring_copy(step.clusterer))
            if dataclasses.is_dataclass(step) and hasattr(step, "clusterer")
            else step
            for step in getattr(self, "steps", [])
        ]
        return dataclasses.replace(self, clusterer=scoring_copy(self.clusterer), steps=steps)

    def membership(self, X: np.ndarray) -> tuple[list[int], np.ndarray]:
        """Sub-segment ids and soft membership of feature rows (edits included)."""
        from metaseg.edits import membership

        if not self.split:
            return [self.relabel.get(0, 0)], np.ones((X.shape[0], 1), dtype=np.float64)
        return membership(self.clusterer, self.relabel, getattr(self, "steps", []), X)


def apply_relabel(raw: np.ndarray, relabel: dict[int, int]) -> np.ndarray:
    """Map clusterer labels to canonical sub-segment numbers (vectorised; -1 stays -1)."""
    if raw.size == 0:
        return raw.astype(np.int64)
    offset = 1  # noise is -1
    table = np.arange(-offset, int(raw.max()) + 1, dtype=np.int64)
    for old, new in relabel.items():
        if old + offset < table.size:
            table[old + offset] = new
    return table[raw + offset]
